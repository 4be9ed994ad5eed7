"""What the probe learns about an environment, as plain data (no judgement here).

``EnvFacts`` is the contract between the probe and its readers: the doctor judges it, ``launch``
preflight reads card counts and HBM from it, the TUI shows it. Field names are part of the agreed
API (see the common brief): keep them stable. They are dataclasses: the demo's facts come from a file
validated once, and a probe's answer is validated with pydantic (``TypeAdapter``) where it is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class PythonInfo:
    """The interpreter that was probed."""

    executable: str
    """Path of the interpreter (``--python``, or the one running mindpilot)."""
    version: str
    """``3.10.14`` style."""
    prefix: Optional[str] = None
    """``sys.prefix``: the venv or conda env."""


@dataclass
class PackageInfo:
    """One installed distribution."""

    name: str
    """The distribution name as its metadata spells it."""
    version: str
    """Installed version."""
    location: Optional[str] = None
    """The site-packages (or other) directory it lives in."""
    editable: Optional[str] = None
    """Source directory of a ``pip install -e``, if it is one."""
    requires: list[str] = field(default_factory=list)
    """Its ``Requires-Dist`` lines as the package's own METADATA states them (``mindspore~=2.10.0``)."""
    requires_python: Optional[str] = None
    """Its ``Requires-Python`` (``>=3.10``), when the METADATA names one."""


@dataclass
class Checkout:
    """A git checkout of mindformers, mindrlhf or msadapter found on ``PYTHONPATH`` / ``MINDFORMERS_PATH``."""

    name: str
    """Package name (``mindformers``, ``mindrlhf``, ``msadapter``)."""
    path: str
    """Root of the checkout (the directory that contains ``<name>/__init__.py``)."""
    commit: Optional[str] = None
    """Full commit id; None when the directory is not a git repository (or git failed)."""
    short: Optional[str] = None
    """Abbreviated commit id as ``git rev-parse --short HEAD`` prints it."""
    version: Optional[str] = None
    """``__version__`` read from ``<name>/__init__.py`` as text (the package is never imported)."""
    branch: Optional[str] = None
    """Current branch, None when HEAD is detached."""
    dirty: Optional[bool] = None
    """Tracked files modified (``git status --porcelain``); None when unknown."""
    imported: bool = False
    """True when ``import <name>`` would load this copy (it comes first on ``sys.path``)."""
    error: Optional[str] = None
    """Why git facts are missing, when they are."""
    shadowed: list[str] = field(default_factory=list)
    """Other copies found on ``PYTHONPATH`` / ``MINDFORMERS_PATH`` that Python does not import."""


@dataclass
class NpuProcess:
    """A process listed in the ``npu-smi info`` process table."""

    npu: int
    """NPU id."""
    pid: int
    """Process id."""
    name: str
    """Process name."""
    memory_mb: Optional[int] = None
    """Device memory it holds."""


@dataclass
class Npu:
    """One NPU chip as ``npu-smi info`` shows it."""

    id: int
    """NPU id (need not start at 0)."""
    name: str
    """Chip name: ``910B``, ``910B4``, ``310P3`` ..."""
    health: str
    """``OK``, ``Warning``, ``Alarm``, ``Critical`` ..."""
    chip: int = 0
    """Chip index within the NPU (A3 boards have two)."""
    bus_id: Optional[str] = None
    """PCIe bus id."""
    hbm_used_mb: Optional[int] = None
    """HBM in use; None on cards without HBM (310P)."""
    hbm_total_mb: Optional[int] = None
    """HBM size; None on cards without HBM (310P)."""
    memory_used_mb: Optional[int] = None
    """The other memory column (DDR on 310P)."""
    memory_total_mb: Optional[int] = None
    """Size of that memory."""


@dataclass
class NpuSmiInfo:
    """Everything parsed from one ``npu-smi info`` output."""

    version: Optional[str] = None
    """``npu-smi 24.1.0  Version: 24.1.0`` header (the driver version)."""
    npus: list[Npu] = field(default_factory=list)
    """One entry per chip."""
    processes: list[NpuProcess] = field(default_factory=list)
    """The process table, when printed."""


@dataclass
class HostInfo:
    """The machine itself."""

    cpus: Optional[int] = None
    """Logical CPUs."""
    mem_gb: Optional[float] = None
    """Total memory, GiB."""
    disk_free_gb: Optional[float] = None
    """Free space where the work directory is, GiB."""
    work_dir: Optional[str] = None
    """The directory whose disk was measured."""


@dataclass
class EnvFacts:
    """Everything the probe learned about one environment."""

    python: PythonInfo
    """The probed interpreter."""
    packages: dict[str, str] = field(default_factory=dict)
    """Installed versions by normalized name (``vllm-mindspore``, ``mindspore-gs``, ``torch-npu`` ...)."""
    package_details: dict[str, PackageInfo] = field(default_factory=dict)
    """Name, location and editable source of each installed package."""
    package_count: int = 0
    """How many distributions the interpreter sees in total."""
    import_origins: dict[str, str] = field(default_factory=dict)
    """Where ``import mindformers`` / ``import mindrlhf`` would load from."""
    checkouts: dict[str, Checkout] = field(default_factory=dict)
    """Source checkouts by package name (the one Python imports, else the first found)."""
    version_maps: dict[str, dict] = field(default_factory=dict)
    """MindFormers' ``VERSION_MAP.json`` (MindFormers -> MindSpore -> CANN -> driver) by file path."""
    cann_version: Optional[str] = None
    """CANN toolkit version from ``ascend_toolkit_install.info``."""
    cann_path: Optional[str] = None
    """The install-info file it came from."""
    cann_home: Optional[str] = None
    """The toolkit directory (where ``set_env.sh`` lives, one level up for ``latest``)."""
    nnal: bool = False
    """``/usr/local/Ascend/nnal/atb/set_env.sh`` exists."""
    nnal_sourced: bool = False
    """``nnal/atb/set_env.sh`` has been sourced (``ATB_HOME_PATH`` is set)."""
    driver_version: Optional[str] = None
    """From ``/usr/local/Ascend/driver/version.info`` (or the npu-smi header)."""
    davinci_count: int = 0
    """Number of ``/dev/davinciN`` device nodes."""
    npu_smi: Optional[str] = None
    """Where the npu-smi output came from (a path, or ``demo``); None when not available."""
    npu_smi_version: Optional[str] = None
    """Version in the npu-smi header."""
    npus: list[Npu] = field(default_factory=list)
    """NPU chips from ``npu-smi info``."""
    npu_processes: list[NpuProcess] = field(default_factory=list)
    """Processes holding NPUs."""
    npu_count: int = 0
    """Chips seen by npu-smi, else the number of device nodes."""
    hbm_gb_per_card: Optional[float] = None
    """HBM per chip in GiB (64 on 910B 64 GB); None without HBM data."""
    set_env_sourced: bool = False
    """``set_env.sh`` of the toolkit has been sourced (``ASCEND_HOME_PATH`` and friends are set)."""
    modelarts: bool = False
    """Running in a ModelArts notebook (``/home/ma-user`` or ``MA_*`` variables)."""
    host: HostInfo = field(default_factory=HostInfo)
    """CPU, memory, disk."""
    env: dict[str, str] = field(default_factory=dict)
    """Relevant environment variables, secrets redacted."""
    root: str = "/"
    """The file-system root the host facts were read under."""
    demo: bool = False
    """Facts of the built-in demo environment."""
    notes: list[str] = field(default_factory=list)
    """Things the probe could not do (npu-smi timed out, git failed ...)."""
