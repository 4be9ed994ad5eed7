"""Our memory estimate's error against every DryRun the user kept (``check --dryrun``, ``plan --verify``).

Run: ``.venv/bin/python bench/dryrun_error.py``. One line per recorded stage: the model, the layout, our
estimate, MindSpore's peak with fragments, and the error ``(ours - DryRun) / DryRun``; then the mean absolute
error over all of them. The records live in the user data directory (``$MINDPILOT_DATA_DIR``/dryrun).
"""

from __future__ import annotations

from mindpilot.launch.dryrun import load_records, records_dir


def main() -> None:
    records = load_records()
    if not records:
        print(f"no DryRun kept yet in {records_dir()} (run: mindpilot check --dryrun CONFIG)")
        return
    print(f"{'model':<28} {'layout':<16} {'stage':>5} {'ours GB':>8} {'DryRun GB':>10} {'error':>7}")
    errors = []
    for record in records:
        layout = " ".join(f"{key}{record['layout'].get(key)}" for key in ("dp", "mp", "pp", "cp"))
        for rank in sorted(record["ranks"], key=lambda r: r["stage"]):
            ours, theirs = rank.get("estimate_gb"), rank.get("actual_peak_mb")
            if ours is None or not theirs:
                continue
            error = (ours - theirs / 1024) / (theirs / 1024)
            errors.append(abs(error))
            print(f"{record['model'][:28]:<28} {layout:<16} {'stage ' + str(rank['stage']):>5} {ours:>8.1f} "
                  f"{theirs / 1024:>10.1f} {error:>+7.0%}")
    if errors:
        print(f"mean absolute error over {len(errors)} stages: {sum(errors) / len(errors):.1%}")


if __name__ == "__main__":
    main()
