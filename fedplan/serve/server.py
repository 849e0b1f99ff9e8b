"""`fedplan serve`: load the run directories, start the ASGI server (uvicorn), print the URL, and
stop cleanly on Ctrl-C (uvicorn finishes the requests in flight; the app's shutdown stops any
background solve)."""
from __future__ import annotations

import ipaddress
import secrets
import socket
import sys
from pathlib import Path

from fedplan.inputs.errors import InputError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def serve(run_dirs: list[Path], host: str = "127.0.0.1", port: int = 8765, save_dir: Path | None = None) -> int:
    """Serve the workbench until Ctrl-C; returns the exit code."""
    import uvicorn

    from .app import create_app
    from .workspace import load_plans

    if not run_dirs:
        raise InputError("no run directory was given.", column="RUN_DIR",
                         fix="name one or more folders written by `fedplan plan --out DIR`, e.g. fedplan serve devon-run.")
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is not a TCP port.", column="--port", fix="give 1-65535, or 0 for any free port.")
    if save_dir is not None and not Path(save_dir).is_dir():
        raise InputError("the --save-dir folder does not exist.", file=str(save_dir), fix="create it, or leave it out.")
    print(f"fedplan: loading {len(run_dirs)} run(s) ...", file=sys.stderr)
    plans = load_plans([Path(p) for p in run_dirs])
    loopback = is_loopback(host)
    # anywhere but loopback the network can reach the server: every request must show the token
    token = None if loopback else secrets.token_urlsafe(24)
    app = create_app(plans, token=token, save_dir=save_dir,
                     allowed_hosts=LOOPBACK_NAMES if loopback else None)
    if port == 0:
        port = free_port(host)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"fedplan serve: {', '.join(p.name for p in plans.values())} at {url}", flush=True)
    if token:
        print(f"fedplan serve: API clients send 'Authorization: Bearer {token}'.", flush=True)
    print("fedplan serve: press Ctrl-C to stop.", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                                           access_log=False))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    print("fedplan serve: stopped.", file=sys.stderr)
    return 0
