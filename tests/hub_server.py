"""A loopback stand-in for the ModelScope hub: the API subset ``snapshot_download`` calls.

Read from modelscope 1.40 (``modelscope_hub/_legacy_api.py``, ``_download.py``): the file listing
``GET /api/v1/models/{owner}/{name}/repo/files?Revision=..&Recursive=True`` answered as
``{"Code": 200, "Data": {"Files": [{"Path", "Name", "Type", "Size", "Sha256", "Revision"}]}}``, and each
file at ``GET /api/v1/models/{owner}/{name}/repo?Revision=..&FilePath=..`` with ``Range`` support.
Anything else is a 404 in the hub's JSON shape. ``cut_after`` drops the connection part way through
a file (an interrupted download).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import urllib.parse
from typing import Optional


class FakeHub:
    """Serves ``files`` (path -> bytes) for every model id; records each request."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.requests: list[tuple[str, Optional[str]]] = []
        """(path with query, Range header) of every request."""
        self.cut_after: Optional[int] = None
        """Bytes of a file body sent before the connection is dropped (None: whole files)."""
        self.refuse_resume = False
        """Answer ``Range`` requests with 503 (the network stays down: the run stops part way)."""
        self.listed_sha256: dict[str, str] = {}
        """Hashes the listing states instead of the real one (a file changed on the hub, or a bad mirror)."""
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _send(self, code: int, body: bytes, headers: Optional[dict] = None, cut: Optional[int] = None):
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {"Content-Type": "application/json"}).items():
                    self.send_header(key, value)
                self.end_headers()
                if cut is not None and cut < len(body):
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def do_GET(self) -> None:
                hub.requests.append((self.path, self.headers.get("Range")))
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query)
                if url.path.endswith("/repo/files"):
                    listing = [{"Path": p, "Name": p.rsplit("/", 1)[-1], "Type": "blob", "Size": len(b),
                                "Sha256": hub.listed_sha256.get(p) or hashlib.sha256(b).hexdigest(), "Revision": "c0ffee"}
                               for p, b in hub.files.items()]
                    return self._send(200, json.dumps({"Code": 200, "Success": True,
                                                       "Data": {"Files": listing}}).encode())
                if url.path.endswith("/repo") and query.get("FilePath", [""])[0] in hub.files:
                    body = hub.files[query["FilePath"][0]]
                    ranged = self.headers.get("Range")
                    if ranged and hub.refuse_resume:
                        return self._send(503, b'{"Code": 503, "Message": "unavailable"}')
                    if ranged:
                        start = int(ranged.split("=", 1)[1].split("-", 1)[0])
                        return self._send(206, body[start:], {"Content-Type": "application/octet-stream",
                                                              "Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"})
                    return self._send(200, body, {"Content-Type": "application/octet-stream"}, cut=hub.cut_after)
                self._send(404, b'{"Code": 404, "Message": "not found"}')

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def safetensors_bytes(name: str, data_len: int) -> bytes:
    """A valid safetensors file with one uint8 tensor of ``data_len`` bytes."""
    header = json.dumps({name: {"dtype": "U8", "shape": [data_len], "data_offsets": [0, data_len]}}).encode()
    return len(header).to_bytes(8, "little") + header + bytes(range(256)) * (data_len // 256) + bytes(data_len % 256)


def tiny_model() -> dict[str, bytes]:
    """A two-shard model with its index, config and Qwen tokenizer files."""
    shard1 = safetensors_bytes("a", 200_000)
    shard2 = safetensors_bytes("b", 3_000)
    index = {"metadata": {"total_size": 203_000},
             "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    return {"config.json": b'{"model_type": "qwen2", "num_hidden_layers": 2}',
            "model.safetensors.index.json": json.dumps(index).encode(),
            "model-00001-of-00002.safetensors": shard1, "model-00002-of-00002.safetensors": shard2,
            "vocab.json": b'{"a": 0}', "merges.txt": b"#version: 0.2\n", "tokenizer.json": b"{}"}
