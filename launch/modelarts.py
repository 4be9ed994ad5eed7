"""Inside a ModelArts multi-node training job: who is who, from the platform's own variables.

Every node of a ModelArts job gets the same variables: ``VC_WORKER_HOSTS`` (the nodes' host names,
comma-separated, master first), ``VC_TASK_INDEX`` (this node's index), ``MA_NUM_HOSTS`` / ``VC_WORKER_NUM``
(node count) and ``MA_NUM_GPUS`` (cards per node, NPUs included). Users' scripts copy them into msrun by
hand (mindone's ``tools/modelarts/msrun/msrun.py`` does the same in Python) with two classic slips: a host
name given to ``--master_addr`` unresolved, and finding this node by substring (``worker-1`` inside
``worker-10``). Here the master's name is resolved to its address, a node without ``VC_TASK_INDEX`` is
found by exact host name, and every value says which variable it came from.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

HOSTS, TASK_INDEX, NUM_HOSTS, WORKER_NUM, NUM_GPUS = ("VC_WORKER_HOSTS", "VC_TASK_INDEX", "MA_NUM_HOSTS",
                                                      "VC_WORKER_NUM", "MA_NUM_GPUS")
MAX_HOSTS = 4096
"""More host names than this is not a job layout."""


class ModelArtsError(ValueError):
    """The platform's variables contradict each other or cannot be used (one line)."""


@dataclass
class Derived:
    """One value of the layout and the variable(s) it came from."""

    value: Any
    source: str


@dataclass
class ModelArtsLayout:
    """This node's place in the job."""

    nodes: Derived
    node_rank: Derived
    master_addr: Derived
    cards_per_node: Optional[Derived] = None
    hosts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"nodes": {"value", "from"}, ...}`` for ``launch --dry-run --json``."""
        items = {"nodes": self.nodes, "node_rank": self.node_rank, "master_addr": self.master_addr,
                 "cards_per_node": self.cards_per_node}
        return {key: {"value": item.value, "from": item.source} for key, item in items.items() if item}


def in_modelarts(environ: Mapping[str, str]) -> bool:
    """The job runs on ModelArts with a worker list (a multi-node layout to read)."""
    return bool(environ.get(HOSTS, "").strip())


def _count(environ: Mapping[str, str], name: str) -> Optional[int]:
    text = environ.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) <= MAX_HOSTS:
        raise ModelArtsError(f"{name}={text!r} is not a count from 1 to {MAX_HOSTS}")
    return int(text)


def modelarts_layout(environ: Mapping[str, str], resolve: Callable[[str], str] = socket.gethostbyname,
                     hostname: Callable[[], str] = socket.gethostname) -> ModelArtsLayout:
    """Node count, this node's rank, the master's address and cards per node from the variables.

    Raises:
        ModelArtsError: a variable is malformed, counts disagree, this host is not in the list, or the
            master's name does not resolve.
    """
    hosts = [host.strip() for host in environ.get(HOSTS, "").split(",")][: MAX_HOSTS + 1]
    if not hosts or any(not host for host in hosts) or len(hosts) > MAX_HOSTS:
        raise ModelArtsError(f"{HOSTS} must list the nodes' host names, comma-separated")
    nodes = Derived(len(hosts), HOSTS)
    for name in (NUM_HOSTS, WORKER_NUM):
        count = _count(environ, name)
        if count is not None and count != len(hosts):
            raise ModelArtsError(f"{name}={count} but {HOSTS} names {len(hosts)} host(s)")
        if count is not None:
            nodes = Derived(count, f"{name} (= {HOSTS} count)")
    node_rank = _node_rank(environ, hosts, hostname)
    try:
        address = resolve(hosts[0])
    except OSError as exc:
        raise ModelArtsError(f"cannot resolve the master host {hosts[0]!r} (first of {HOSTS}): {exc}") from None
    master = Derived(address, f"{HOSTS}[0] = {hosts[0]} (resolved)")
    gpus = _count(environ, NUM_GPUS)
    cards = Derived(gpus, NUM_GPUS) if gpus is not None else None
    return ModelArtsLayout(nodes=nodes, node_rank=node_rank, master_addr=master, cards_per_node=cards, hosts=hosts)


def _node_rank(environ: Mapping[str, str], hosts: list[str], hostname: Callable[[], str]) -> Derived:
    text = environ.get(TASK_INDEX, "").strip()
    if text:
        if not text.isdigit() or int(text) >= len(hosts):
            raise ModelArtsError(f"{TASK_INDEX}={text!r} is not a node index 0..{len(hosts) - 1}")
        return Derived(int(text), TASK_INDEX)
    me = hostname()
    short = me.split(".")[0]
    # Whole names only: `worker-1` must not match inside `worker-10`.
    matches = [index for index, host in enumerate(hosts) if host in (me, short) or host.split(".")[0] == short]
    if len(matches) != 1:
        what = "is not" if not matches else "is more than once"
        raise ModelArtsError(f"this host {me!r} {what} in {HOSTS} and {TASK_INDEX} is not set")
    return Derived(matches[0], f"{HOSTS} (this host {me!r} at index {matches[0]})")


FLAG_NAMES = {"nodes": "--nodes", "node_rank": "--node-rank", "master_addr": "--master-addr",
              "cards": "--cards", "local_cards": "--local-cards"}
"""The launch flags that can stand in for a platform value."""


def with_flags(layout: ModelArtsLayout, flags: Mapping[str, Any]) -> ModelArtsLayout:
    """The layout with every value the user gave as a flag taken from the flag (the user's word wins).

    ``--cards``/``--local-cards`` replace ``MA_NUM_GPUS`` (cards per node is then the preset's to work out);
    ``--nodes 1`` makes this the only node, rank 0, whatever ``VC_TASK_INDEX`` says.

    Raises:
        ModelArtsError: the platform's node index does not exist among the ``--nodes`` given.
    """
    given = {key: value for key, value in flags.items() if key in FLAG_NAMES and value is not None}
    nodes = Derived(given["nodes"], FLAG_NAMES["nodes"]) if "nodes" in given else layout.nodes
    if "node_rank" in given:
        node_rank = Derived(given["node_rank"], FLAG_NAMES["node_rank"])
    elif nodes.value == 1:
        node_rank = Derived(0, f"{FLAG_NAMES['nodes']} 1")
    elif layout.node_rank.value >= nodes.value:
        raise ModelArtsError(f"{layout.node_rank.source} gives node {layout.node_rank.value}, but --nodes is "
                             f"{nodes.value}: add --node-rank, or drop --nodes")
    else:
        node_rank = layout.node_rank
    master = Derived(given["master_addr"], FLAG_NAMES["master_addr"]) if "master_addr" in given else layout.master_addr
    cards = layout.cards_per_node
    if "local_cards" in given:
        cards = Derived(given["local_cards"], FLAG_NAMES["local_cards"])
    elif "cards" in given:
        cards = None
    return ModelArtsLayout(nodes=nodes, node_rank=node_rank, master_addr=master, cards_per_node=cards,
                           hosts=layout.hosts)
