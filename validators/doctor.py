"""The doctor: judge probed facts against a known-good stack, with exact fix commands.

``run_doctor`` is the one entry point the CLI, the TUI's Environment screen, ``diagnose`` and
``launch`` preflight call. It probes (``probe_environment``), picks a stack (``choose_stack``),
corrects it by what the installed frameworks declare themselves (``expectations``: Requires-Dist,
Requires-Python, VERSION_MAP.json), builds the components table and the findings, and redacts
secrets from the whole report.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Optional

from mindpilot.validators.catalog import make_finding
from mindpilot.validators.declarations import ORIGIN_TEXT, declared_by_packages, installed_version_map
from mindpilot.validators.expectations import (FRAMEWORK_OF, JUDGED, all_stacks, apply_declarations, exact_row,
                                               forward_release, installed_declarations, newer_than_known,
                                               newer_than_spec, newest_learned_map, release_stack, with_python)
from mindpilot.validators.findings import Finding, sort_findings
from mindpilot.validators.knowledge import table_date
from mindpilot.validators.probe import EnvFacts, probe_environment
from mindpilot.validators.report import ComponentRow, ComponentStatus, DoctorReport
from mindpilot.redact import redact_model, secret_values
from mindpilot.validators.stacks import (Requirement, Stack, StackChoice, choose_stack, get_stack, load_stacks,
                                         requirement_fits)
from mindpilot.validators.versions import AscendVersion, ascend_matches, pep440, satisfies, version_key

TORCH_PACKAGES = ("torch", "torch-npu")
BOTOCORE_FIXED = {"botocore": "1.29.123", "boto3": "1.26.123"}
"""First releases that no longer import ``DEFAULT_CIPHERS`` (boto/botocore#2921, PR #2922)."""


def run_doctor(python: Optional[str] = None, root: str = "/", stack: Optional[str] = None, demo: bool = False,
               lang: str = "en", timeout: float = 20.0) -> DoctorReport:
    """Probe an environment and judge it against ``stack`` (default: the best fit).

    Raises:
        KeyError: ``stack`` is not a known stack id.
        ProbeError: the environment cannot be probed (interpreter missing, hung, crashed).
    """
    chosen_stack = get_stack(stack, all_stacks()) if stack else None
    facts = probe_environment(python=python, root=root, demo=demo, timeout=timeout)
    report = judge(facts, chosen_stack, lang)
    secrets = secret_values(os.environ)
    return redact_model(report, secrets, log=False)


def judge(facts: EnvFacts, stack: Optional[Stack], lang: str) -> DoctorReport:
    """The report for already-probed ``facts`` (no probing; reads only the stack table and learned releases)."""
    checkouts = {name: (c.version, c.commit) for name, c in facts.checkouts.items()}
    notes: list[Finding] = []
    if stack is not None:
        choice = StackChoice(stack=stack, total=len(stack.packages), how="given")
    else:
        choice, notes = _judged_stack(facts, checkouts, lang)
    stack = choice.stack
    findings: list[Finding] = [_stack_finding(choice, lang, facts.cann_version)] + notes
    components = [_python_row(facts, stack, findings, lang)]
    components += _ascend_rows(facts, stack, findings, lang)
    declared_mindspore = stack.requirement("mindspore")
    too_old = None if declared_mindspore and declared_mindspore.declared_by else _mindspore_too_old(facts, lang)
    if too_old:
        findings.append(too_old)
    for req in stack.packages:
        skip_finding = req.name == "mindspore" and too_old is not None
        components.append(_package_row(facts, stack, req, findings, lang, skip_finding))
    components += _extra_rows(facts, stack)
    findings += _checkout_findings(facts, lang)
    findings += _conflict_findings(facts, stack, lang)
    for finding in findings:  # an empty {note} placeholder leaves a dangling space
        finding.detail = finding.detail.strip()
    return DoctorReport(stack=stack.id, stack_reason=findings[0].title, components=components,
                        findings=sort_findings(findings), environment=asdict(facts))


def _judged_stack(facts: EnvFacts, checkouts: dict, lang: str) -> tuple[StackChoice, list[Finding]]:
    """The best-fit row, corrected by what the installed frameworks declare themselves.

    A release newer than every row gets a row built from its own metadata (and a note saying so):
    the table's older pins must never turn into downgrade advice.
    """
    stacks = all_stacks()
    choice = choose_stack(facts.packages, checkouts, facts.cann_version, stacks)
    notes: list[Finding] = []
    stack = exact_row(choice.stack, facts, stacks) if choice.how == "best-fit" else choice.stack
    anchor = facts.package_details.get(stack.anchor)
    newer = newer_than_known(stack, facts, stacks) if choice.how == "best-fit" else None
    version_map = installed_version_map(facts) or newest_learned_map()
    if newer and stack.anchor in FRAMEWORK_OF:
        installed, newest = newer
        stack = release_stack(stack.anchor, installed, anchor.requires if anchor else [],
                              anchor.requires_python if anchor else None, version_map, "metadata",
                              f"{stack.anchor} {installed} package metadata", facts.python.version)
        notes.append(make_finding("doctor.newer_than_table", lang, name=stack.anchor, version=installed,
                                  newest=newest, date=table_date()))
    declared = installed_declarations(facts, declared_by_packages(facts, set(JUDGED), stack.anchor), version_map)
    stack = apply_declarations(stack, declared, version_map, facts.packages)
    if anchor is not None:
        stack = with_python(stack, anchor.requires_python)
    fitting = []
    for req in stack.packages:
        checkout = facts.checkouts.get(req.name)
        version = facts.packages.get(req.name) or (checkout.version if checkout else None)
        if requirement_fits(req, version, checkout.commit if checkout else None):
            fitting.append(f"{req.name} {version or (checkout.commit if checkout else '')}")
    how = "declared" if newer else choice.how
    return StackChoice(stack=stack, fitting=fitting, total=len(stack.packages), how=how), notes


def _stack_finding(choice: StackChoice, lang: str, cann: Optional[str]) -> Finding:
    stack = choice.stack
    rule = {"given": "doctor.stack_given", "best-fit": "doctor.stack_best_fit", "cann": "doctor.stack_by_cann",
            "default": "doctor.stack_default", "declared": "doctor.stack_declared"}[choice.how]
    others = ", ".join(s.id for s in load_stacks() if s.id != stack.id and s.framework == stack.framework)
    finding = make_finding(rule, lang, stack=stack.id, fitting=len(choice.fitting), total=choice.total,
                           components=", ".join(choice.fitting) or "-", cann=cann, title=stack.title,
                           others=make_finding("doctor.stack_others", lang, others=others).title if others else "")
    # Where the stack's versions come from is provenance: the source, not the words the user reads.
    finding.source = "; ".join(part for part in (finding.source, stack.source, stack.conflicts) if part)
    return finding


def _python_row(facts: EnvFacts, stack: Stack, findings: list[Finding], lang: str) -> ComponentRow:
    version = facts.python.version
    row = ComponentRow(name="python", found=version, expected=stack.python, where=facts.python.executable,
                       status=ComponentStatus.OK)
    if stack.python and not satisfies(version, stack.python):
        row.status = ComponentStatus.MISMATCH
        recommended = stack.python_recommended or "3.10"
        findings.append(make_finding("doctor.python_outside_stack", lang, found=version, stack=stack.id,
                                     expected=stack.python, recommended=recommended,
                                     env=f"py{recommended.replace('.', '')}"))
    elif not stack.python:
        row.status = ComponentStatus.NOT_NEEDED
    return row


def _ascend_rows(facts: EnvFacts, stack: Stack, findings: list[Finding], lang: str) -> list[ComponentRow]:
    expected_cann = " / ".join(stack.cann) or None
    cann = ComponentRow(name="CANN", found=facts.cann_version, expected=expected_cann, where=facts.cann_path)
    has_npu = facts.npu_count > 0 or facts.davinci_count > 0
    if facts.cann_version is None:
        cann.status = ComponentStatus.MISSING
        if has_npu:
            findings.append(make_finding("doctor.cann_missing", lang, stack=stack.id,
                                         expected=expected_cann or "?"))
        else:
            findings.append(make_finding("doctor.no_npu", lang))
    elif stack.cann and not any(ascend_matches(facts.cann_version, c) for c in stack.cann):
        cann.status = ComponentStatus.MISMATCH
        findings.append(_cann_outside(facts, stack, expected_cann or "", lang))
    else:
        cann.status = ComponentStatus.OK if stack.cann else ComponentStatus.NOT_NEEDED
    mindspeed = stack.framework == "mindspeed-llm"
    if facts.cann_version and (not facts.set_env_sourced or (mindspeed and facts.nnal and not facts.nnal_sourced)):
        findings.append(make_finding("doctor.set_env_not_sourced", lang, command=_set_env_command(facts, stack)))
    if facts.cann_version and mindspeed and not facts.nnal:
        findings.append(make_finding("doctor.nnal_missing", lang, cann=facts.cann_version, stack=stack.id))
    driver = ComponentRow(name="driver", found=facts.driver_version, expected=stack.driver,
                          status=ComponentStatus.NOT_NEEDED if not stack.driver else ComponentStatus.OK)
    if facts.driver_version is None:
        driver.status = ComponentStatus.MISSING if has_npu else ComponentStatus.UNKNOWN
    elif stack.driver and AscendVersion(facts.driver_version) < AscendVersion(stack.driver):
        driver.status = ComponentStatus.MISMATCH
        findings.append(make_finding("doctor.driver_old", lang, found=facts.driver_version, stack=stack.id,
                                     expected=stack.driver, chain=stack.ascend_chain or ""))
    npu = ComponentRow(name="NPU", found=_npu_text(facts), status=ComponentStatus.OK if has_npu else
                       ComponentStatus.MISSING, where=facts.npu_smi)
    findings.extend(_npu_findings(facts, lang))
    return [cann, driver, npu]


def _cann_outside(facts: EnvFacts, stack: Stack, expected: str, lang: str) -> Finding:
    fitting = [s.id for s in load_stacks() if s.framework == stack.framework
               and any(ascend_matches(facts.cann_version or "", c) for c in s.cann)]
    stack_fix = f"mindpilot doctor --stack {fitting[0]}" if fitting else "mindpilot doctor --list-stacks"
    return make_finding("doctor.cann_outside_stack", lang, found=facts.cann_version, stack=stack.id,
                        expected=expected, path=facts.cann_path, stack_fix=stack_fix, chain=stack.ascend_chain or "")


def _set_env_command(facts: EnvFacts, stack: Stack) -> str:
    home = (facts.cann_home or "/usr/local/Ascend/ascend-toolkit/latest").rstrip("/")
    toolkit = home.rsplit("/", 1)[0] if home.rsplit("/", 1)[-1] not in ("", "ascend-toolkit") else home
    commands = [] if facts.set_env_sourced else [f"source {toolkit}/set_env.sh"]
    if facts.nnal and not facts.nnal_sourced:
        commands.append("source /usr/local/Ascend/nnal/atb/set_env.sh")
    return " && ".join(commands or [f"source {toolkit}/set_env.sh"])


def _npu_text(facts: EnvFacts) -> Optional[str]:
    if facts.npus:
        names = sorted({npu.name for npu in facts.npus})
        hbm = f" {facts.hbm_gb_per_card:g}G" if facts.hbm_gb_per_card else ""
        return f"{len(facts.npus)}x {'/'.join(names)}{hbm}"
    if facts.davinci_count:
        return f"{facts.davinci_count}x davinci"
    return None


def _npu_findings(facts: EnvFacts, lang: str) -> list[Finding]:
    found = [make_finding("doctor.npu_unhealthy", lang, id=npu.id, name=npu.name, health=npu.health)
             for npu in facts.npus if npu.health.upper() != "OK"]
    found += [make_finding("doctor.npu_busy", lang, id=p.npu, pid=p.pid, name=p.name, memory=p.memory_mb or "?")
              for p in facts.npu_processes]
    if facts.davinci_count and not facts.npus:
        if facts.npu_smi is None:
            found.append(make_finding("doctor.npu_smi_missing", lang, count=facts.davinci_count))
        else:
            found.append(make_finding("doctor.npu_smi_failed", lang, count=facts.davinci_count,
                                      reason="; ".join(facts.notes) or "-"))
    return found


def _install_command(req: Requirement) -> str:
    if req.wheel:
        return f"pip install {req.wheel}"
    if req.version:
        return f'pip install "{req.name}=={req.version}"'
    return f'pip install "{req.name}{req.spec}"'


def _package_row(facts: EnvFacts, stack: Stack, req: Requirement, findings: list[Finding], lang: str,
                 skip_finding: bool) -> ComponentRow:
    checkout = facts.checkouts.get(req.name)
    version = facts.packages.get(req.name) or (checkout.version if checkout else None)
    row = ComponentRow(name=req.name, expected=req.expected_text)
    details = facts.package_details.get(req.name)
    if req.commit:
        row.found = f"commit {checkout.short}" if checkout and checkout.short else version
        row.where = checkout.path if checkout else (details.location if details else None)
    else:
        row.found = version
        row.where = details.location if details else (checkout.path if checkout else None)
    note = req.note or ""
    if requirement_fits(req, version, checkout.commit if checkout else None):
        row.status = ComponentStatus.OK
        return row
    if req.commit and checkout is not None and checkout.commit:
        row.status = ComponentStatus.MISMATCH
        findings.append(make_finding("doctor.checkout_commit", lang, name=req.name, path=checkout.path,
                                     found=checkout.short, stack=stack.id, commit=req.commit, note=note))
        return row
    if req.commit and (checkout is None or checkout.error):
        row.status = ComponentStatus.MISSING if version is None and checkout is None else ComponentStatus.MISMATCH
        if checkout is None:
            found = f"pip {version}" if version else "-"
            findings.append(make_finding("doctor.checkout_needed", lang, name=req.name, stack=stack.id,
                                         commit=req.commit, found=found, note=note, branch=req.branch or "master",
                                         repo=req.repo or f"<{req.name} repository>"))
        return row
    if req.declared_by and not skip_finding:
        findings.append(_declared_finding(facts, req, version, row.where, lang))
        row.status = ComponentStatus.MISSING if version is None else ComponentStatus.MISMATCH
        return row
    if version is None:
        row.status = ComponentStatus.MISSING
        rule = "doctor.package_optional_missing" if req.optional else "doctor.package_missing"
        if not skip_finding:
            findings.append(make_finding(rule, lang, name=req.name, stack=stack.id, expected=req.expected_text,
                                         note=note, command=_install_command(req)))
        return row
    row.status = ComponentStatus.MISMATCH
    if not skip_finding:
        where = row.where or "?"
        findings.append(make_finding("doctor.package_mismatch", lang, name=req.name, found=version, stack=stack.id,
                                     expected=req.expected_text, where=where, note=note,
                                     command=_install_command(req)))
    return row


def _declared_finding(facts: EnvFacts, req: Requirement, version: Optional[str], where: Optional[str],
                      lang: str) -> Finding:
    """A pin an installed framework declares itself, not met; the fix never moves anything back."""
    declarer, _, declarer_version = (req.declared_by or "? ?").partition(" ")
    spec = req.spec or f"=={req.version}"
    params = dict(declarer=req.declared_by, name=req.name, spec=spec, found=version,
                  origin=ORIGIN_TEXT[req.origin or "metadata"].get(lang), where=where or "?", note=req.note or "")
    if version is None:
        return make_finding("doctor.declared_missing", lang, command=_install_command(req), **params)
    command = _install_command(req)
    if newer_than_spec(version, spec):
        version_map = installed_version_map(facts) or newest_learned_map()
        forward = forward_release(declarer, declarer_version, req.name, version, version_map, all_stacks())
        if forward:
            return make_finding("doctor.declared_forward", lang, command=f'pip install "{declarer}=={forward}"',
                                forward=forward, declarer_name=declarer, **params)
        return make_finding("doctor.declared_newer", lang, command=command, **params)
    return make_finding("doctor.declared_mismatch", lang, command=command, **params)


def _extra_rows(facts: EnvFacts, stack: Stack) -> list[ComponentRow]:
    rows = []
    names = {req.name for req in stack.packages}
    for name in ("torch", "torch-npu", "mindspore", "mindstudio-probe", "urllib3", "botocore"):
        if name in names or name not in facts.packages:
            continue
        details = facts.package_details.get(name)
        rows.append(ComponentRow(name=name, found=facts.packages[name], status=ComponentStatus.NOT_NEEDED,
                                 where=details.location if details else None))
    return rows


def _mindspore_too_old(facts: EnvFacts, lang: str) -> Optional[Finding]:
    """MindSpore older than the release-table row of the installed MindFormers.

    The row is the newest MindFormers release not newer than the installed one (a 1.4.0 dev build
    needs at least what 1.3.2 needed).
    """
    checkout = facts.checkouts.get("mindformers")
    mindformers = facts.packages.get("mindformers") or (checkout.version if checkout else None)
    mindspore = facts.packages.get("mindspore")
    if not mindformers or not mindspore or pep440(mindformers) is None or pep440(mindspore) is None:
        return None
    rows = []
    for stack in load_stacks():
        anchor, need = stack.requirement("mindformers"), stack.requirement("mindspore")
        if stack.framework == "mindformers" and anchor and anchor.version and need and need.version:
            if version_key(anchor.version) <= version_key(mindformers):
                rows.append((version_key(anchor.version), need))
    if not rows:
        return None
    need = max(rows, key=lambda row: row[0])[1]
    if version_key(mindspore) < version_key(need.version or "0") and not satisfies(mindspore, need.accepted or ""):
        return make_finding("doctor.mindspore_too_old", lang, found=mindspore, mindformers=mindformers,
                            expected=need.version, command=_install_command(need))
    return None


def _checkout_findings(facts: EnvFacts, lang: str) -> list[Finding]:
    found = []
    for name, checkout in facts.checkouts.items():
        if checkout.error:
            found.append(make_finding("doctor.checkout_not_git", lang, name=name, path=checkout.path,
                                      error=checkout.error, repo=f"https://gitee.com/mindspore/{name}.git"))
        elif checkout.dirty:
            found.append(make_finding("doctor.checkout_dirty", lang, name=name, path=checkout.path,
                                      short=checkout.short))
        if checkout.shadowed:
            found.append(make_finding("doctor.checkout_shadowed", lang, name=name, path=checkout.path,
                                      count=len(checkout.shadowed) + 1, others=", ".join(checkout.shadowed)))
        details = facts.package_details.get(name)
        if details is not None and not details.editable:
            winner = facts.import_origins.get(name) or "?"
            found.append(make_finding("doctor.pip_and_checkout", lang, name=name, version=details.version,
                                      path=checkout.path, winner=winner))
    return found


def _conflict_findings(facts: EnvFacts, stack: Stack, lang: str) -> list[Finding]:
    found = []
    packages = facts.packages
    torch = [name for name in TORCH_PACKAGES if name in packages]
    if torch and "mindspore" in packages:
        if stack.framework == "mindspeed-llm":
            command = "pip uninstall -y mindspore"
        else:
            command = "pip uninstall -y torch torch-npu torchvision torchaudio"
        found.append(make_finding("doctor.torch_with_mindspore", lang, torch=packages[torch[0]],
                                  mindspore=packages["mindspore"], command=command))
    urllib3 = packages.get("urllib3")
    if urllib3 and satisfies(urllib3, ">=2"):
        for package, fixed in BOTOCORE_FIXED.items():
            version = packages.get(package)
            if version and satisfies(version, f"<{fixed}"):
                found.append(make_finding("doctor.urllib3_botocore", lang, urllib3=urllib3, package=package,
                                          version=version))
                break
    uses_mindformers = "mindformers" in packages or "mindformers" in facts.checkouts
    if uses_mindformers and "mindstudio-probe" not in packages:
        found.append(make_finding("doctor.msprobe_missing", lang))
    return found
