"""Runs INSIDE the interpreter being probed: report its packages without importing any of them.

Standalone on purpose: it must work on any Python >= 3.8 with the standard library only (the
target environment may lack pydantic, or anything of ours), and it must never import mindspore,
torch, mindformers or any other probed package — a broken package whose import hangs or crashes
cannot then hang or crash the probe. It reads ``importlib.metadata`` (dist-info files: version,
``Requires-Dist``, ``Requires-Python``), MindFormers' ``VERSION_MAP.json`` as a plain JSON file, and
looks for source checkouts on ``sys.path`` / ``MINDFORMERS_PATH`` with plain file-system checks.

Usage: ``python -c "$(cat pyenv_script.py)" '<json package names>' '<json checkout names>'``;
prints one JSON document on stdout. It runs with ``-c`` so that this directory (which holds modules
such as ``git.py``) is not first on the target's ``sys.path``; the current directory is dropped too.
"""

import sys

sys.path[:] = [entry for entry in sys.path if entry not in ("", ".")]

import json  # noqa: E402  (after the sys.path clean-up, so a stray json.py cannot shadow it)
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
try:
    from importlib import metadata  # noqa: E402
except ImportError:  # Python < 3.8: say so in one line instead of a traceback
    sys.stderr.write("mindpilot's probe needs Python >= 3.8; this is Python %s\n" % sys.version.split()[0])
    sys.exit(3)
from importlib.machinery import PathFinder  # noqa: E402

MAX_REQUIRES = 500
MAX_MAP_BYTES = 1 << 20


def normalize(name):
    """PEP 503 normalized project name: ``vllm_mindspore`` -> ``vllm-mindspore``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def editable_path(dist):
    """The source directory of a ``pip install -e`` (PEP 610 direct_url.json), else None."""
    try:
        text = dist.read_text("direct_url.json")
        if not text:
            return None
        info = json.loads(text)
        if info.get("dir_info", {}).get("editable") and info.get("url", "").startswith("file://"):
            return info["url"][len("file://"):]
    except Exception:  # a malformed file must not stop the probe
        return None
    return None


def packages(wanted):
    """Installed distributions among ``wanted`` (normalized names) with version and location."""
    found = {}
    count = 0
    for dist in metadata.distributions():
        count += 1
        try:
            name = dist.metadata["Name"] or ""
        except Exception:
            continue
        key = normalize(name)
        if key not in wanted or key in found:  # the first on sys.path is the one Python uses
            continue
        if not dist.version:  # broken metadata: skip rather than report a version of None
            continue
        location = None
        try:
            location = str(dist.locate_file(""))
        except Exception:
            pass
        found[key] = {"name": name, "version": dist.version, "location": location,
                      "editable": editable_path(dist)}
        found[key].update(declarations(dist))
    return found, count


def declarations(dist):
    """What the package itself says it needs: ``Requires-Dist`` lines and ``Requires-Python``."""
    try:
        requires = [str(line) for line in (dist.requires or [])][:MAX_REQUIRES]
    except Exception:  # a malformed METADATA must not stop the probe
        requires = []
    try:
        requires_python = dist.metadata["Requires-Python"]
    except Exception:
        requires_python = None
    return {"requires": requires, "requires_python": requires_python}


def version_maps(found, candidates):
    """MindFormers' ``VERSION_MAP.json`` beside the pip copy and in each source checkout, by file path.

    Read as text and parsed as JSON (MindFormers is not imported); files over 1 MB are skipped.
    """
    roots = list(candidates.get("mindformers", []))
    info = found.get("mindformers")
    if info:
        roots += [p for p in (info.get("editable"), info.get("location")) if p]
    maps = {}
    for root in roots:
        path = os.path.join(root, "mindformers", "VERSION_MAP.json")
        try:
            if path in maps or not os.path.isfile(path) or os.path.getsize(path) > MAX_MAP_BYTES:
                continue
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except Exception:
            continue
        if isinstance(document, dict):
            maps[path] = document
    return maps


def is_site_dir(path):
    return os.path.basename(path.rstrip("/")) in ("site-packages", "dist-packages")


def checkout_candidates(names):
    """Directories that hold a source tree of each name (``<dir>/<name>/__init__.py``), in import order."""
    entries = [p for p in sys.path if p]
    extra = []
    for variable in ("MINDFORMERS_PATH", "MINDRLHF_PATH", "MINDRLHF_FILE", "MINDFORMERS_FILE", "MSADAPTER_PATH"):
        extra += [p for p in os.environ.get(variable, "").split(os.pathsep) if p]
    result = {}
    for name in names:
        seen = []
        for entry in entries + extra:
            entry = os.path.abspath(entry)
            root = None
            if os.path.isfile(os.path.join(entry, name, "__init__.py")) and not is_site_dir(entry):
                root = entry
            elif os.path.basename(entry) == name and os.path.isfile(os.path.join(entry, "__init__.py")):
                root = os.path.dirname(entry)
            if root and root not in seen:
                seen.append(root)
        result[name] = seen
    return result


def import_origins(names):
    """Where ``import <name>`` would load from (a path search only; nothing is imported)."""
    origins = {}
    for name in names:
        try:
            spec = PathFinder.find_spec(name)
        except Exception:
            spec = None
        if spec is not None:
            locations = list(spec.submodule_search_locations or [])
            origins[name] = locations[0] if locations else spec.origin
    return origins


def main():
    wanted = set(normalize(n) for n in json.loads(sys.argv[1]))
    checkout_names = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    found, count = packages(wanted)
    candidates = checkout_candidates(checkout_names)
    document = {
        "executable": sys.executable,
        "version": platform.python_version(),
        "prefix": sys.prefix,
        "packages": found,
        "package_count": count,
        "checkout_candidates": candidates,
        "version_maps": version_maps(found, candidates),
        "import_origins": import_origins(checkout_names),
        "sys_path": [p for p in sys.path if p],
    }
    sys.stdout.write(json.dumps(document))


if __name__ == "__main__":
    main()
