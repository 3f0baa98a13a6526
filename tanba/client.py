"""A participant's side of certificate login, for operators and scripts: sign the challenge with a
PKCS#12 key file and print the token."""

import argparse
import base64
import getpass
import json
from pathlib import Path

import httpx

from tanba.pki import load_pkcs12, sign_attached
from tanba.settings import Settings


def sign_in(api: str, key_file: Path, password: str, timeout: float = 30) -> dict[str, object]:
    """Challenge → attached CMS signature → token; returns the token response (raises on refusal)."""
    issued = load_pkcs12(key_file.read_bytes(), password)
    with httpx.Client(base_url=api, timeout=timeout) as client:
        challenge = client.get("/api/v1/auth/challenge")
        challenge.raise_for_status()
        c = challenge.json()
        signature = sign_attached(issued.certificate, issued.private_key, c["data"].encode(), issued.chain)
        response = client.post("/api/v1/auth/token",
                               json={"id": c["id"], "signature": base64.b64encode(signature).decode()})
        if response.status_code != 200:
            raise RuntimeError(f"sign-in refused ({response.status_code}): {response.text}")
        return dict(response.json())


def cmd_login(settings: Settings, args: argparse.Namespace) -> int:
    key_file = Path(args.key)
    if args.password_file:
        password = Path(args.password_file).read_text().strip()
    elif key_file.with_suffix(".password").is_file():
        password = key_file.with_suffix(".password").read_text().strip()
    else:
        password = getpass.getpass(f"password of {key_file.name}: ")
    api = args.api or f"http://{settings.api_host}:{settings.api_port}"
    print(json.dumps(sign_in(api, key_file, password), ensure_ascii=False, indent=2))
    return 0


def add_login_command(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    login = subparsers.add_parser("login", help="sign in with a PKCS#12 key file and print the bearer token")
    login.add_argument("--key", required=True, help="the PKCS#12 key file (e.g. var/pki/demo/operator.p12)")
    login.add_argument("--password-file", help="default: the .password file beside the key file, else asked")
    login.add_argument("--api", help="the API's base URL (default: this installation's)")
    login.set_defaults(func=cmd_login)
