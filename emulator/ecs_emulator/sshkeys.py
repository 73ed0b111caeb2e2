"""SSH public-key text for the key-pair actions: parse and fingerprint OpenSSH public-key lines,
and make dummy keys.  Nothing here is cryptography: CreateKeyPair answers a PEM-looking block of
random bytes that is no private key of anything (emulator/README.md), and the seeded public keys
are random 32-byte ed25519 blobs whose private halves nobody has.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import struct

# Key types accepted by ImportKeyPair (OpenSSH line format: "<type> <base64 blob> [comment]").
KEY_TYPES = (
    "ssh-rsa",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
)


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def parse_public_key(text: str) -> bytes | None:
    """The key blob of an OpenSSH public-key line, or None if it is not one.

    The blob must be valid Base64 and start with its own key type (as ssh-keygen writes it);
    RSA keys must carry an exponent and a modulus of at least 1024 bits, ed25519 keys 32 bytes.
    """
    parts = text.strip().split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    fields = _fields(blob)
    if not fields or fields[0] != parts[0].encode():
        return None
    if parts[0] == "ssh-rsa" and (len(fields) != 3 or len(fields[2].lstrip(b"\0")) * 8 < 1024):
        return None
    if parts[0] == "ssh-ed25519" and (len(fields) != 2 or len(fields[1]) != 32):
        return None
    return blob


def _fields(blob: bytes) -> list[bytes]:
    """The length-prefixed strings of a key blob ([] if it is not a sequence of them)."""
    fields, offset = [], 0
    while offset < len(blob):
        if offset + 4 > len(blob):
            return []
        (size,) = struct.unpack(">I", blob[offset : offset + 4])
        offset += 4
        if size > len(blob) - offset:
            return []
        fields.append(blob[offset : offset + size])
        offset += size
    return fields


def fingerprint(blob: bytes) -> str:
    """MD5 fingerprint of the key blob, colon-separated hex (RFC 4716, as DescribeKeyPairs shows it)."""
    digest = hashlib.md5(blob).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def dummy_public_key(rng: random.Random, comment: str = "") -> str:
    """An ``ssh-ed25519`` line with 32 random bytes: well formed, and nobody holds its private key."""
    blob = _string(b"ssh-ed25519") + _string(bytes(rng.getrandbits(8) for _ in range(32)))
    line = "ssh-ed25519 " + base64.b64encode(blob).decode()
    return f"{line} {comment}" if comment else line


def dummy_private_key(rng: random.Random) -> str:
    """PEM-looking text (PKCS#8 armour) around random bytes: not a key, never usable as one."""
    body = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(1190))).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----\n"
