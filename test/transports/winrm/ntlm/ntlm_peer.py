#!/usr/bin/env python3
"""An independent NTLM peer for Rivet's interop tests, driven line by line over stdin/stdout.

Usage: ntlm_peer.py MODE
  gss-accept    gss-ntlmssp acceptor through python3-gssapi; users from the file named by
                NTLM_USER_FILE (DOMAIN:USER:PASSWORD lines).
  gss-init      gss-ntlmssp initiator; credentials from NTLM_PEER_USER (DOMAIN\\user or user)
                and NTLM_PEER_PASSWORD.
  ntlmauth-init python3-ntlm-auth initiator (the NTLM library of Debian's pywinrm 0.3.0);
                NTLM_PEER_USER, NTLM_PEER_DOMAIN, NTLM_PEER_PASSWORD.
Optional NTLM_PEER_CBT: hex of the gss_channel_bindings application data.

Commands, one per line, data in hex: "STEP <token>" (empty token to start an initiator) answers
"TOKEN <token> <complete 0|1> <user>" ("-" for an empty token or user; the user, in hex, is
the acceptor's authenticated initiator name); "WRAP <data>" / "UNWRAP <signature+sealed>" answer "DATA <hex>"; ntlmauth-init also has
"FRAME <soap>" / "UNFRAME <body>": pywinrm's own winrm.encryption.Encryption framing
(application/HTTP-SPNEGO-session-encrypted) over ntlm-auth's session.
Failures answer "ERROR <message>". Credentials never go on the command line.
"""
import os
import sys


def out(*words):
    sys.stdout.write(" ".join(words) + "\n")
    sys.stdout.flush()


def cbt_bytes():
    value = os.environ.get("NTLM_PEER_CBT")
    return bytes.fromhex(value) if value else None


class Gss:
    def __init__(self, usage):
        import gssapi

        ntlm = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")
        cbt = cbt_bytes()
        bindings = gssapi.raw.ChannelBindings(application_data=cbt) if cbt is not None else None
        if usage == "accept":
            creds = gssapi.Credentials(usage="accept", mechs=[ntlm])
            self.ctx = gssapi.SecurityContext(creds=creds, usage="accept", channel_bindings=bindings)
        else:
            name = gssapi.Name(os.environ["NTLM_PEER_USER"], gssapi.NameType.user)
            acquired = gssapi.raw.acquire_cred_with_password(
                name, os.environ["NTLM_PEER_PASSWORD"].encode("utf-8"), usage="initiate", mechs=[ntlm]
            )
            target = gssapi.Name("HTTP@server.example", gssapi.NameType.hostbased_service)
            self.ctx = gssapi.SecurityContext(
                name=target, creds=acquired.creds, usage="initiate", mech=ntlm, channel_bindings=bindings,
                flags=gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.confidentiality,
            )

    def step(self, token):
        reply = self.ctx.step(token or None)
        user = str(self.ctx.initiator_name) if self.ctx.complete and self.ctx.usage == "accept" else ""
        return reply or b"", self.ctx.complete, user

    def wrap(self, data):
        return self.ctx.wrap(data, True).message

    def unwrap(self, data):
        result = self.ctx.unwrap(data)
        if not result.encrypted:
            raise ValueError("message was not encrypted")
        return result.message


class NtlmAuth:
    def __init__(self):
        from ntlm_auth.gss_channel_bindings import GssChannelBindingsStruct
        from ntlm_auth.ntlm import NtlmContext

        cbt = cbt_bytes()
        bindings = None
        if cbt is not None:
            bindings = GssChannelBindingsStruct()
            bindings[bindings.APPLICATION_DATA] = cbt
        self.ctx = NtlmContext(
            os.environ["NTLM_PEER_USER"], os.environ["NTLM_PEER_PASSWORD"], os.environ.get("NTLM_PEER_DOMAIN") or None,
            "PYWINRM", cbt_data=bindings, ntlm_compatibility=3,
        )

    def step(self, token):
        return self.ctx.step(token or None), self.ctx.complete, ""

    def wrap(self, data):
        return self.ctx.wrap(data)

    def unwrap(self, data):
        return self.ctx.unwrap(data)

    def _encryption(self):
        from types import SimpleNamespace

        from winrm.encryption import Encryption

        session = SimpleNamespace(auth=SimpleNamespace(session_security=self.ctx._session_security))
        return Encryption(session, "ntlm")

    def frame(self, data):
        # What pywinrm's Encryption.prepare_encrypted_request puts in the body.
        encryption = self._encryption()
        return encryption._encrypt_message(data, "server.example") + encryption.MIME_BOUNDARY + b"--\r\n"

    def unframe(self, body):
        from types import SimpleNamespace

        return self._encryption()._decrypt_response(SimpleNamespace(content=body), "server.example")


def main():
    mode = sys.argv[1]
    try:
        peer = {"gss-accept": lambda: Gss("accept"), "gss-init": lambda: Gss("initiate"), "ntlmauth-init": NtlmAuth}[mode]()
    except Exception as err:  # noqa: BLE001 - reported to the test
        out("ERROR", type(err).__name__ + ": " + " ".join(str(err).split()))
        return
    out("READY")
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        try:
            data = bytes.fromhex(arg)
            if command == "STEP":
                token, complete, user = peer.step(data)
                out("TOKEN", token.hex() or "-", "1" if complete else "0", user.encode("utf-8").hex() or "-")
            elif command == "WRAP":
                out("DATA", peer.wrap(data).hex())
            elif command == "UNWRAP":
                out("DATA", peer.unwrap(data).hex())
            elif command == "FRAME":
                out("DATA", peer.frame(data).hex())
            elif command == "UNFRAME":
                out("DATA", peer.unframe(data).hex())
            else:
                out("ERROR", "unknown command " + command)
        except Exception as err:  # noqa: BLE001 - reported to the test
            out("ERROR", type(err).__name__ + ": " + " ".join(str(err).split()))


if __name__ == "__main__":
    main()
