"""The demo job: a tiny MindSpore data-parallel training run that prints MindFormers-style loss lines.

Run it through ``msrun`` (``mindpilot launch --demo``): every worker trains a small dense net on
random data for a few dozen steps on CPU, gradients averaged across workers, and logs each step the
way MindFormers' ``MFLossMonitor`` does (mindformers/core/callback/callback.py, MF 1.7), so that the
live tail parses real lines. ``MINDPILOT_DEMO_FAIL_RANK=1`` (or ``--fail-rank 1``) makes that rank
raise an error half-way, like a real rank failure. MindSpore is imported in :func:`main` only, so
importing this module (the boundary test imports every module) costs nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time


def _parse(argv):
    parser = argparse.ArgumentParser(description="mindpilot demo: data-parallel training on CPU")
    parser.add_argument("--steps", type=int, default=int(os.environ.get("MINDPILOT_DEMO_STEPS", "30")))
    parser.add_argument("--fail-rank", type=int, default=int(os.environ.get("MINDPILOT_DEMO_FAIL_RANK", "-1")))
    parser.add_argument("--fail-step", type=int, default=int(os.environ.get("MINDPILOT_DEMO_FAIL_STEP", "5")))
    parser.add_argument("--step-sleep", type=float,
                        default=float(os.environ.get("MINDPILOT_DEMO_STEP_SLEEP", "0")))
    # The guided setup hands the demo the YAML it checked, as run_mindformer.py would get it.
    parser.add_argument("--config", default=None)
    parser.add_argument("--run_mode", default="finetune")
    return parser.parse_args(argv)


def _logger() -> logging.Logger:
    log = logging.getLogger("mindformers")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s - mindformers[%(filename)s:%(lineno)d] - %(levelname)s - "
                                           "%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return log


def main(argv=None) -> int:
    args = _parse(argv)
    import numpy as np
    import mindspore as ms
    from mindspore import nn
    from mindspore.communication import get_group_size, get_rank, init

    ms.set_context(mode=ms.PYNATIVE_MODE, device_target="CPU")
    init()
    rank, size = get_rank(), get_group_size()
    log = _logger()
    log.info("Global rank id of this process: %d, group size %d", rank, size)
    if args.config:
        log.info("run_mode %s with config %s", args.run_mode, args.config)
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True)
    ms.set_seed(1)

    net = nn.SequentialCell(nn.Dense(16, 32), nn.ReLU(), nn.Dense(32, 1))
    loss_fn = nn.MSELoss()
    optimizer = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    grad_fn = ms.value_and_grad(lambda x, y: loss_fn(net(x), y), None, optimizer.parameters)
    reducer = nn.DistributedGradReducer(optimizer.parameters, mean=True, degree=size)

    rng = np.random.default_rng(rank)
    weights = np.linspace(-1, 1, 16).astype(np.float32)
    for step in range(1, args.steps + 1):
        start = time.time()
        x = rng.standard_normal((32, 16)).astype(np.float32)
        y = (x @ weights).reshape(-1, 1).astype(np.float32)
        if rank == args.fail_rank and step == args.fail_step:
            raise RuntimeError(f"mindpilot demo: rank {rank} failed on purpose at step {step} "
                               "(MINDPILOT_DEMO_FAIL_RANK)")
        loss, grads = grad_fn(ms.Tensor(x), ms.Tensor(y))
        optimizer(reducer(grads))
        if args.step_sleep:
            time.sleep(args.step_sleep)
        per_step_ms = int((time.time() - start) * 1000)
        log.info("{ Epoch:[%3d/%3d], step:[%5d/%5d], loss: %5.6f, per_step_time: %dms, lr: %s, "
                 "overflow cond: %s, loss_scale: %s, global_norm: %s", 1, 1, step, args.steps,
                 float(loss.asnumpy()), per_step_ms, "0.01", False, 1.0, "[1.0]")
        sys.stdout.flush()
    log.info("Training finished on rank %d", rank)
    return 0


if __name__ == "__main__":
    sys.exit(main())
