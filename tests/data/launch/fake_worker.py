"""A worker for fake_msrun.py: MindFormers-style loss lines; FAKE_FAIL_RANK fails, FAKE_STEPS/FAKE_SLEEP pace."""

import os
import sys
import time

rank = int(os.environ.get("RANK_ID", "0"))
steps = int(os.environ.get("FAKE_STEPS", "5"))
pause = float(os.environ.get("FAKE_SLEEP", "0.05"))
for step in range(1, steps + 1):
    if str(rank) == os.environ.get("FAKE_FAIL_RANK") and step == 3:
        print("Traceback (most recent call last):", flush=True)
        print('  File "fake_worker.py", line 12, in <module>', flush=True)
        print(f"ValueError: fake failure on rank {rank}", flush=True)
        sys.exit(1)
    print(f"2026-01-01 00:00:0{min(step, 9)},000 - mindformers[fake_worker.py:20] - INFO - {{ Epoch:[  1/  1], "
          f"step:[{step:5d}/{steps:5d}], loss: {2.0 / step:.6f}, per_step_time: 50ms, lr: 1e-05, "
          f"overflow cond: False, loss_scale: 1.0, global_norm: [1.0]", flush=True)
    time.sleep(pause)
