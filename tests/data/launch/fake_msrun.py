"""A stand-in for msrun in tests without MindSpore: same flags, same process layout, same log names.

Like msrun (mindspore/parallel/cluster/process_entity/_api.py, MS 2.7) it starts each worker in a
session of its own (``os.setsid``), writes ``worker_{rank}.log`` in ``--log_dir``, and with
``--join=True`` waits, kills the others when one fails, and exits 1.
"""

import argparse
import os
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
for flag in ("worker_num", "local_worker_num", "master_port", "cluster_time_out", "node_rank"):
    parser.add_argument(f"--{flag}", type=int, default=0)
for flag in ("master_addr", "log_dir", "join", "bind_core"):
    parser.add_argument(f"--{flag}", default="")
parser.add_argument("script")
parser.add_argument("args", nargs=argparse.REMAINDER)
args = parser.parse_args()
os.makedirs(args.log_dir, exist_ok=True)
workers = []
for rank in range(args.local_worker_num or args.worker_num):
    env = dict(os.environ, RANK_ID=str(rank), MS_ROLE="MS_WORKER")
    with open(os.path.join(args.log_dir, f"worker_{rank}.log"), "w") as log:
        workers.append(subprocess.Popen([sys.executable, args.script, *args.args], env=env, stdout=log,
                                        stderr=subprocess.STDOUT, preexec_fn=os.setsid))
    print(f"Start worker process with rank id:{rank}, log file:{args.log_dir}/worker_{rank}.log.", flush=True)
failed = False
while True:
    codes = [w.poll() for w in workers]
    if any(c not in (None, 0) for c in codes):
        print(f"[ERROR] ME({os.getpid()}:1,MainProcess):2026-01-01-00:00:00.000.000 [_api.py:369] Worker process "
              f"{workers[0].pid} exit with exception. Error code: 1.", flush=True)
        for w in workers:
            if w.poll() is None:
                os.killpg(w.pid, 9)
        failed = True
        break
    if all(c == 0 for c in codes):
        break
    time.sleep(0.05)
sys.exit(1 if failed else 0)
