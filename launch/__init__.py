"""Run it: msrun argv and environment, preflight, the job's processes and state, live log tailing.

Pure core: no Textual, no Rich. The TUI and the CLI consume the same iterators:

* :func:`mindpilot.launch.command.build_commands` (``LaunchCommand`` per node: ``argv``, ``env``,
  ``shell()``), :func:`~mindpilot.launch.command.render_run_sh`;
* :func:`mindpilot.launch.preflight.preflight` -> ``list[Finding]`` (errors block unless forced);
* :func:`mindpilot.launch.runner.start_job` -> ``JobRecord``; :func:`~mindpilot.launch.runner.watch_job`
  -> iterator of :mod:`~mindpilot.launch.events` ending with ``ExitEvent`` (``stop=`` to detach);
  :func:`~mindpilot.launch.runner.stop_job` -> pids left (empty when clean);
* :func:`mindpilot.launch.tail.follow_logs` / :class:`~mindpilot.launch.tail.LogFollower` (``poll()``,
  non-blocking) for any log dir; :mod:`mindpilot.launch.jobs` for the records (``list_jobs``, ``load_job``);
* :mod:`mindpilot.launch.demo`: the 2-worker CPU demo job (``demo_preset(fail_rank=...)``);
* every job has its own log folder ``<log_dir>/<job id>/`` (``JobRecord.log_dir``; ``jobs.latest_job()``,
  ``jobs.resolve_job(id_or_None)``, ``jobs.prune_jobs(keep)``);
* many nodes: :func:`~mindpilot.launch.runner.start_nodes_job` (:mod:`~mindpilot.launch.nodes` plans, local or
  ssh; :mod:`~mindpilot.launch.multinode` supervises; :mod:`~mindpilot.launch.noderun` runs a remote node;
  :mod:`~mindpilot.launch.nodecheck` compares nodes before the start); :mod:`~mindpilot.launch.modelarts`
  reads ModelArts' layout; :mod:`~mindpilot.launch.ray` renders ``ray start`` and reads ``ray status``.
"""
