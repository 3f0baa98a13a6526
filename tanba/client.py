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
    password = _password(key_file, args.password_file)
    api = args.api or f"http://{settings.api_host}:{settings.api_port}"
    print(json.dumps(sign_in(api, key_file, password), ensure_ascii=False, indent=2))
    return 0


def signed_envelope(document_type: str, document: bytes, key_file: Path, password: str) -> dict[str, str]:
    """The wire form of a signed document: base64 JSON bytes and a detached CMS signature over them."""
    from tanba.pki import sign_detached

    issued = load_pkcs12(key_file.read_bytes(), password)
    signature = sign_detached(issued.certificate, issued.private_key, document, issued.chain)
    return {"type": document_type, "document": base64.b64encode(document).decode(),
            "signature": base64.b64encode(signature).decode()}


def _password(key_file: Path, password_file: str | None) -> str:
    if not key_file.is_file():  # before asking for its password
        raise FileNotFoundError(f"no key file {key_file}")
    if password_file:
        return Path(password_file).read_text().strip()
    if key_file.with_suffix(".password").is_file():
        return key_file.with_suffix(".password").read_text().strip()
    return getpass.getpass(f"password of {key_file.name}: ")


def cmd_sign(settings: Settings, args: argparse.Namespace) -> int:
    key_file = Path(args.key)
    document = Path(args.document).read_bytes() if args.document != "-" else __import__("sys").stdin.buffer.read()
    try:
        json.loads(document)  # refuse to sign what is not JSON
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"the document is not JSON: {str(exc)[:200] or 'nested too deep'}") from None
    print(json.dumps(signed_envelope(args.type, document, key_file, _password(key_file, args.password_file))))
    return 0


def add_login_command(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    login = subparsers.add_parser("login", help="sign in with a PKCS#12 key file and print the bearer token")
    login.add_argument("--key", required=True, help="the PKCS#12 key file (e.g. var/pki/demo/operator.p12)")
    login.add_argument("--password-file", help="default: the .password file beside the key file, else asked")
    login.add_argument("--api", help="the API's base URL (default: this installation's)")
    login.set_defaults(func=cmd_login)
    sign = subparsers.add_parser("sign", help="wrap a JSON document in a signed envelope (prints the envelope)")
    sign.add_argument("--key", required=True, help="the PKCS#12 key file of the signer")
    sign.add_argument("--type", required=True,
                      help="document type, e.g. CODE_ORDER, APPLICATION, AGGREGATION, PARTICIPANT_APPLICATION")
    sign.add_argument("--document", required=True, help="the JSON document file, or - for standard input")
    sign.add_argument("--password-file", help="default: the .password file beside the key file, else asked")
    sign.set_defaults(func=cmd_sign)
