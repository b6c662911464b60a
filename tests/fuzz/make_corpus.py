#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/.

Each seed is a small, meaningful input in the layout its target's header
comment describes (a leading mode/option byte, then the bytes). Run it again
after changing a target's input layout; it replaces the corpus folders.

  tests/fuzz/make_corpus.py            write the corpora
  tests/fuzz/make_corpus.py --check    exit 1 if the committed ones differ
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Must match the targets' constants.
JWT_SECRET = b"fuzz-secret-0123456789"
TURBO_SECRET = b"turbo-fuzz-secret"
SUBPROTOCOL = "actioncable-v1-json"


# --- websocket_reader --------------------------------------------------------

def frame(opcode, payload, fin=True, mask=b"\x37\xfa\x21\x3d", masked=True,
          rsv=0, length_form=None):
    b0 = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    form = length_form or (7 if n < 126 else 16 if n <= 0xFFFF else 64)
    head = bytes([b0])
    mbit = 0x80 if masked else 0
    if form == 7:
        head += bytes([mbit | n])
    elif form == 16:
        head += bytes([mbit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    body = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return head + mask + body


def close(code, reason=b""):
    return frame(0x8, struct.pack(">H", code) + reason)


def websocket_reader():
    subscribe = json.dumps({"command": "subscribe", "identifier": json.dumps(
        {"channel": "ChatChannel", "room": "1"})}).encode()
    big = 200  # limit byte >= 192: 1024; 128..191: 64 KiB; else the byte
    return {
        "text": bytes([big, 1]) + frame(0x1, b"hello"),
        "subscribe": bytes([big, 2]) + frame(0x1, subscribe),
        "fragmented_with_ping": bytes([big, 3]) + frame(0x1, b"hel", fin=False)
        + frame(0x9, b"ping") + frame(0x0, b"lo", fin=False) + frame(0x0, b"!"),
        "binary_16bit_length": bytes([150, 4]) + frame(0x2, bytes(range(256)) * 2),
        "too_big_then_close": bytes([10, 5]) + frame(0x1, b"x" * 40)
        + frame(0x1, b"ok") + close(1000, b"bye"),
        "close_normal": bytes([big, 6]) + close(1000, "au revoir \u00e9".encode()),
        "close_empty": bytes([big, 7]) + frame(0x8, b""),
        "close_one_byte": bytes([big, 8]) + frame(0x8, b"\x03"),
        "close_bad_code": bytes([big, 9]) + close(1005),
        "close_reason_not_utf8": bytes([big, 10]) + close(1001, b"\xff\xfe"),
        "text_not_utf8": bytes([big, 11]) + frame(0x1, b"caf\xe9") + frame(0x1, b"ok"),
        "unmasked": bytes([big, 12]) + frame(0x1, b"hi", masked=False),
        "reserved_bits": bytes([big, 13]) + frame(0x1, b"hi", rsv=0x40),
        "unknown_opcode": bytes([big, 14]) + frame(0x3, b"hi"),
        "length_not_minimal": bytes([big, 15]) + frame(0x1, b"short", length_form=64),
        "control_fragmented": bytes([big, 16]) + frame(0x9, b"p", fin=False),
        "continuation_alone": bytes([big, 17]) + frame(0x0, b"x"),
        "pong_and_utf8": bytes([big, 18]) + frame(0xA, b"") + frame(
            0x1, "\u00e9\u20ac\U0001F600".encode()),
        "split_utf8_fragments": bytes([big, 19]) + frame(0x1, b"\xe2\x82", fin=False)
        + frame(0x0, b"\xac"),
    }


# --- http_upgrade --------------------------------------------------------------

def request(lines, body=b""):
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def upgrade(target="/cable", origin="https://app.example", version="13",
            key="dGhlIHNhbXBsZSBub25jZQ==", protocol=SUBPROTOCOL, extra=()):
    lines = [f"GET {target} HTTP/1.1", "Host: cable.example",
             "Upgrade: websocket", "Connection: Upgrade"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if protocol is not None:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    lines.extend(extra)
    return request(lines)


def http_upgrade():
    origins = 0x01  # bit 0: allowed origins; bit 1: ready; bit 2: 256-byte headers
    subscribe = frame(0x1, b'{"command":"subscribe","identifier":"{}"}')
    get = lambda path, conn="keep-alive": request(
        [f"GET {path} HTTP/1.1", "Host: x", f"Connection: {conn}"])
    return {
        "upgrade": bytes([origins]) + upgrade(
            target="/cable?token=abc",
            extra=["Cookie: _session=abc; theme=dark", "User-Agent: fuzz"]),
        "upgrade_with_early_frame": bytes([origins]) + upgrade() + subscribe,
        "upgrade_any_origin": bytes([0]) + upgrade(origin=None, protocol=None),
        "upgrade_protocol_list": bytes([0]) + upgrade(protocol=f"chat, {SUBPROTOCOL}"),
        "upgrade_protocol_unknown": bytes([0]) + upgrade(protocol="actioncable-unsupported"),
        "upgrade_wrong_path": bytes([0]) + upgrade(target="/other"),
        "upgrade_origin_refused": bytes([origins]) + upgrade(origin="https://evil.example"),
        "upgrade_version_12": bytes([0]) + upgrade(version="12"),
        "upgrade_bad_key": bytes([0]) + upgrade(key="c2hvcnQ="),
        "pipelined_gets": bytes([0x02]) + get("/health") + get("/ready") + get("/metrics")
        + get("/cable-state.js") + get("/nope") + get("/", "close"),
        "not_ready": bytes([0]) + get("/ready", "close"),
        "head": bytes([0]) + request(["HEAD / HTTP/1.1", "Host: x", "Connection: close"]),
        "post_with_body": bytes([0]) + request(
            ["POST /cable HTTP/1.1", "Host: x", "Content-Length: 5"], b"hello"),
        "chunked_body": bytes([0]) + request(
            ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"],
            b"5\r\nhello\r\n0\r\n\r\n"),
        "http_1_0": bytes([0]) + b"GET /health HTTP/1.0\r\n\r\n",
        "header_too_large": bytes([0x04]) + upgrade(extra=["X-Pad: " + "a" * 300]),
        "header_not_utf8": bytes([0]) + upgrade(extra=["X-Thing: caf\xe9"]).replace(
            "caf\xe9".encode(), b"caf\xe9"),
        "garbage": bytes([0]) + b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    }


# --- client_command --------------------------------------------------------------

def client_command():
    ident = json.dumps({"channel": "ChatChannel", "room": "1"})
    cmd = lambda **kw: json.dumps(kw).encode()
    return {
        "subscribe": cmd(command="subscribe", identifier=ident),
        "unsubscribe": cmd(command="unsubscribe", identifier=ident),
        "message": cmd(command="message", identifier=ident,
                       data=json.dumps({"action": "speak", "text": "hi"})),
        "message_data_object": cmd(command="message", identifier=ident,
                                   data={"action": "speak", "n": [1, 2.5, None, True]}),
        "join": cmd(command="join", identifier=json.dumps({"channel": "$state", "name": "doc"})),
        "request": cmd(command="request", identifier=ident,
                       data=json.dumps({"id": 7, "action": "update"})),
        "sync": cmd(command="sync", identifier=ident, data=json.dumps({"revision": 3})),
        "unknown_command": cmd(command="dance", identifier=ident),
        "unicode_escapes": b'{"command":"subscribe","identifier":"{\\"channel\\":\\"C\\u00e9\\ud83d\\ude00\\"}"}',
        "null_fields": b'{"command":"message","identifier":null,"data":null}',
        "bad_command_type": b'{"command":1}',
        "bad_identifier_type": b'{"command":"subscribe","identifier":5}',
        "bad_data_type": b'{"command":"message","identifier":"x","data":[1]}',
        "not_object": b'["subscribe"]',
        "not_json": b'{"command":"subscribe",',
        "state_message": b'{"type":"event_patch","revision":42,"event_id":7,"event":null,"patch":[]}',
    }


# --- channel_identifier ------------------------------------------------------------

def channel_identifier():
    return {
        "chat": b'{"channel":"ChatChannel","room":"1"}',
        "key_order": b'{"room":1,"channel":"ChatChannel"}',
        "nested": b'{"channel":"X","filter":{"tags":["a","b"],"since":1.5e3},"n":null}',
        "turbo": b'{"channel":"Turbo::StreamsChannel","signed_stream_name":"ImNoYXQ6MSI=--00"}',
        "state": b'{"channel":"$state","name":"doc:1"}',
        "only_channel": b'{"channel":""}',
        "channel_number": b'{"channel":5}',
        "no_channel": b'{"room":"1"}',
        "duplicate_channel": b'{"channel":"A","channel":"B"}',
        "huge_number": b'{"channel":"A","n":1e400}',
        "array": b'["channel"]',
        "not_json": b'{"channel":',
        "escapes": b'{"channel":"\\u0041\\n\\"","k\\u00e9y":"v"}',
    }


# --- service_command ---------------------------------------------------------------

def service_command():
    chat = json.dumps({"channel": "ChatChannel", "room": "1"})
    presence = json.dumps({"channel": "PresenceChannel", "room": "lobby"})
    turbo = lambda signed: json.dumps({"channel": "Turbo::StreamsChannel",
                                       "signed_stream_name": signed})
    cmd = lambda **kw: json.dumps(kw)
    lines = lambda *ls: "\n".join(ls).encode()
    speak = json.dumps({"action": "speak", "message": "hi"})
    return {
        "chat": lines("/cable?user=ann", cmd(command="subscribe", identifier=chat),
                      cmd(command="message", identifier=chat, data=speak),
                      cmd(command="unsubscribe", identifier=chat)),
        "chat_anonymous": lines("/cable", cmd(command="subscribe", identifier=chat),
                                cmd(command="message", identifier=chat, data=speak)),
        "chat_bad_room": lines("/cable?user=b", cmd(command="subscribe", identifier=json.dumps(
            {"channel": "ChatChannel", "room": 5}))),
        "presence": lines("/cable?user=ann", cmd(command="subscribe", identifier=presence),
                          cmd(command="message", identifier=presence,
                              data=json.dumps({"action": "ping"}))),
        "turbo": lines("/cable", cmd(command="subscribe", identifier=turbo(
            turbo_sign("chat:1").decode())),
                       cmd(command="message", identifier=turbo(turbo_sign("chat:1").decode()),
                           data=json.dumps({"action": "nope"}))),
        "turbo_bad_signature": lines("/cable", cmd(command="subscribe",
                                                   identifier=turbo("ImNoYXQ6MSI=--00"))),
        "unknown_channel": lines("/cable", cmd(command="subscribe",
                                               identifier=json.dumps({"channel": "Nope"}))),
        "bad_identifier": lines("/cable", cmd(command="subscribe", identifier="{not json")),
        "message_no_action": lines("/cable", cmd(command="subscribe", identifier=chat),
                                   cmd(command="message", identifier=chat, data="{}"),
                                   cmd(command="message", identifier=chat, data="[1]")),
        "two_subscriptions": lines("/cable?user=%C3%A9", cmd(command="subscribe", identifier=chat),
                                   cmd(command="subscribe", identifier=presence)),
    }


# --- jwt ------------------------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def jwt_token(header, claims, secret=JWT_SECRET):
    signing_input = b64url(json.dumps(header).encode()) + b"." + b64url(
        json.dumps(claims).encode())
    sig = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return signing_input + b"." + b64url(sig)


def jwt():
    hs256 = {"alg": "HS256", "typ": "JWT"}
    now = 1700000000
    good = {"sub": "alice", "exp": now + 3600, "iat": now - 10}
    parts = lambda h, c: json.dumps(h).encode() + b"\0" + json.dumps(c).encode()
    return {
        "token_valid": b"\x00" + jwt_token(hs256, good),
        "token_expired": b"\x00" + jwt_token(hs256, {"sub": "alice", "exp": now - 1}),
        "token_not_yet": b"\x00" + jwt_token(hs256, {"sub": "alice", "nbf": now + 60}),
        "token_other_secret": b"\x00" + jwt_token(hs256, good, b"nope"),
        "token_alg_none": b"\x00" + b64url(b'{"alg":"none"}') + b"." + b64url(
            json.dumps(good).encode()) + b".",
        "token_hs512": b"\x00" + jwt_token({"alg": "HS512"}, good),
        "token_garbage": b"\x00" + b"a.b.c",
        "signed_valid": b"\x01" + parts(hs256, good),
        "signed_no_sub": b"\x01" + parts(hs256, {"exp": now + 10}),
        "signed_empty_sub": b"\x01" + parts(hs256, {"sub": ""}),
        "signed_sub_number": b"\x01" + parts(hs256, {"sub": 7}),
        "signed_exp_string": b"\x01" + parts(hs256, {"sub": "a", "exp": "soon"}),
        "signed_exp_past": b"\x01" + parts(hs256, {"sub": "a", "exp": now}),
        "signed_nbf_float": b"\x01" + parts(hs256, {"sub": "a", "nbf": now - 0.5}),
        "signed_claims_array": b"\x01" + json.dumps(hs256).encode() + b"\0[1,2]",
        "signed_alg_none": b"\x01" + parts({"alg": "none"}, good),
        "signed_alg_hs384": b"\x01" + parts({"alg": "HS384"}, good),
        "other_secret": b"\x02" + parts(hs256, good),
        "unsigned": b"\x03" + parts(hs256, good),
    }


# --- signed_stream ------------------------------------------------------------------------

def turbo_sign(name, secret=TURBO_SECRET):
    data = base64.b64encode(json.dumps(name, ensure_ascii=False).encode())
    return data + b"--" + hmac.new(secret, data, hashlib.sha256).hexdigest().encode()


def signed_stream():
    valid = turbo_sign("chat:1")
    return {
        "valid": b"\x00" + valid,
        "valid_unicode": b"\x00" + turbo_sign("r\u00e9union:\U0001F600"),
        "wrong_digest": b"\x00" + valid[:-1] + (b"0" if valid[-1:] != b"0" else b"1"),
        "other_secret": b"\x00" + turbo_sign("chat:1", b"other"),
        "no_separator": b"\x00" + b"ImNoYXQ6MSI=",
        "empty_data": b"\x00" + b"--" + b"0" * 64,
        "data_valid": b"\x01" + base64.b64encode(b'"chat:1"'),
        "data_dashes": b"\x01" + base64.b64encode(b'"a--b"'),
        "data_not_canonical": b"\x01" + b"ImNoYXQ6MSI",
        "data_not_base64": b"\x01" + b"!!!!",
        "data_not_string": b"\x01" + base64.b64encode(b'{"a":1}'),
        "data_other_secret": b"\x02" + base64.b64encode(b'"chat:1"'),
        "sign_name": b"\x03" + b"chat:1",
        "sign_empty": b"\x03",
        "sign_dashes": b"\x03" + "a--b \u00e9".encode(),
    }


# --- stream_subject ----------------------------------------------------------------------

def stream_subject():
    none, default, given = b"\x00", b"\x01", b"\x02"
    return {
        "chat": none + b"chat",
        "encoded_dot_space": none + b"chat_2Eroom_201",
        "name_dot_space": default + b"chat.room 1",
        "escaped_underscore": none + b"_5F2E",
        "empty_token": none + b"_",
        "empty": default,
        "lowercase_hex": none + b"_2e",
        "escaped_literal": none + b"_41",
        "cut_escape": none + b"ab_4",
        "subject_default": default + b"cable.s.chat_3A1",
        "subject_given": given + b"my.prefix\nmy.prefix.chat",
        "prefix_wildcard": given + b"my.*\nmy.*.x",
        "wildcards": none + b"foo.*.bar.>",
        "unicode": default + "caf\u00e9 \U0001F600".encode(),
        "control": none + b"a\tb\x00c\x7f",
    }


# --- stream_message ---------------------------------------------------------------------

def stream_message():
    ff, us = b"\xff", b"\x1f"
    return {
        "envelope": ff + b"Ab3x9QzZ" + us + b"42" + us + b'{"message":"hi"}',
        "envelope_empty_data": ff + b"e" + us + b"1" + us,
        "envelope_max_offset": ff + b"e" + us + b"18446744073709551615" + us + b"x",
        "overflow": ff + b"e" + us + b"18446744073709551616" + us + b"x",
        "leading_zero": ff + b"e" + us + b"01" + us + b"x",
        "empty_epoch": ff + us + b"1" + us + b"x",
        "cut": ff + b"epoch" + us + b"12",
        "plain_json": b'{"message":"hi"}',
        "to_encode": b"Ep0ch\n\x07\x00\x00\x00\x00\x00\x00\x00data",
        "to_encode_offset_zero": b"Ep0ch\n\x00\x00\x00\x00\x00\x00\x00\x00data",
        "policy": b"chat:*=1000/1h;ticker:*=0;logs:*=50/30s",
        "policy_bad": b"chat:*=10/0s;$state:*=1",
        "globs": b"*a*a*a*b",
    }


# --- json_patch ----------------------------------------------------------------------------

def json_patch():
    diff, apply = b"\x00", b"\x01"
    pair = lambda a, b: json.dumps(a).encode() + b"\0" + json.dumps(b).encode()
    doc = {"a": 1, "b": [1, 2, 3], "c": {"d": "x"}, "e/f": {"~g": True}}
    return {
        "diff_objects": diff + pair(doc, {"a": 2, "b": [1, 3], "c": {"d": "y", "z": None},
                                          "e/f": {}}),
        "diff_arrays": diff + pair([1, [2, 3], {"k": 4}], [[2], {"k": 5}, 6, 7]),
        "diff_types": diff + pair({"a": [1]}, {"a": {"0": 1}}),
        "diff_scalars": diff + pair(1, "one"),
        "diff_escaped_keys": diff + pair({"a/b": 1, "c~d": 2}, {"a/b": 3, "~1": 4}),
        "apply_all_ops": apply + pair(doc, [
            {"op": "add", "path": "/b/-", "value": 4},
            {"op": "remove", "path": "/a"},
            {"op": "replace", "path": "/c/d", "value": "y"},
            {"op": "move", "from": "/b/0", "path": "/first"},
            {"op": "copy", "from": "/c", "path": "/c2"},
            {"op": "test", "path": "/e~1f/~0g", "value": True}]),
        "apply_failing_test": apply + pair(doc, [{"op": "test", "path": "/a", "value": 2}]),
        "apply_move_into_child": apply + pair(doc, [{"op": "move", "from": "/c",
                                                     "path": "/c/d/e"}]),
        "apply_bad_index": apply + pair(doc, [{"op": "add", "path": "/b/01", "value": 0},
                                              {"op": "remove", "path": "/b/99"}]),
        "apply_huge_index": apply + pair(doc, [{"op": "replace",
                                                "path": "/b/18446744073709551616",
                                                "value": 0}]),
        "apply_unknown_op": apply + pair(doc, [{"op": "merge", "path": "/a"}]),
        "apply_not_array": apply + pair(doc, {"op": "add", "path": "/x", "value": 1}),
        "apply_root": apply + pair(doc, [{"op": "replace", "path": "", "value": [1]}]),
    }


# --- state_records -----------------------------------------------------------------------------

def field(value):
    value = value if isinstance(value, bytes) else str(value).encode()
    return str(len(value)).encode() + b":" + value


def intent(owner, parts):
    out = field(b"cable-intent-2") + field(owner) + field(len(parts))
    for name, expected, head, old_blob, guards in parts:
        out += field(name) + field(expected) + field(head) + field(old_blob)
        out += field(len(guards))
        for key, count, seen in guards:
            out += field(key) + field(b"" if count is None else count) + field(seen)
    return out


def state_records():
    head, intent_kind, reply = b"\x00", b"\x01", b"\x02"
    h = lambda header, state=b"": json.dumps(header).encode() + b"\n" + state
    base = {"rev": 3, "last": 7, "type": "counter", "keep": True}
    head1 = h(base, b'{"count":1}')
    return {
        "head_inline": head + b"\x05" + head1,
        "head_blob": head + b"\x09" + h(dict(base, blob="AbC123", chunks=4)),
        "head_txn": head + b"\x01" + h(dict(base, txn="tx1", keep=False), b"[]"),
        "head_missing_keep": head + b"\x00" + h({"rev": 1, "last": 0, "type": "t"}),
        "head_float_rev": head + b"\x00" + h(dict(base, rev=1.5)),
        "head_negative_rev": head + b"\x00" + h(dict(base, rev=-1)),
        "head_no_newline": head + b"\x00" + json.dumps(base).encode(),
        "intent_one_part": intent_kind + b"\x00" + intent(b"worker-1", [
            (b"doc:1", 12, head1, b"", [(b"doc_3A1.gw1", 2, 5), (b"doc_3A1.gw2", None, 0)])]),
        "intent_two_parts": intent_kind + b"\x00" + intent(b"w", [
            (b"a", 0, head1, b"oldblob", []), (b"b.c", 99, b"", b"", [])]),
        "intent_bad_magic": intent_kind + b"\x00" + field(b"cable-intent-1") + field(b"w"),
        "intent_many_parts": intent_kind + b"\x00" + field(b"cable-intent-2") + field(b"w")
        + field(b"18446744073709551615") + field(b"x"),
        "intent_signed_count": intent_kind + b"\x00" + intent(b"w", [
            (b"a", 1, b"", b"", [(b"k", -3, 1)])]),
        "reply_get": reply + b"\x00" + b"Nats-Subject: P_channels.doc\nNats-Sequence: 5\n"
        b"Nats-Time-Stamp: 2024-01-01T00:00:00.123456789Z\nCable-Chunks: 2\0" + head1,
        "reply_get_bad_time": reply + b"\x00" + b"Nats-Subject: s\nNats-Sequence: 5\n"
        b"Nats-Time-Stamp: yesterday\0x",
        "reply_not_found": reply + b"\x00" + b"Status: 404\nDescription: Message Not Found\0",
        "reply_no_responders": reply + b"\x00" + b"Status: 503\0",
        "reply_ack": reply + b"\x00" + b'\0{"stream":"P_channels","seq":5}',
        "reply_wrong_last": reply + b"\x00" + b'\0{"error":{"code":400,"err_code":10071,'
        b'"description":"wrong last sequence: 4"}}',
        "reply_purged": reply + b"\x00" + b'\0{"success":true,"purged":3}',
        "reply_api_error": reply + b"\x00" + b'\0{"error":{"code":503,"description":"down"}}',
    }


TARGETS = {
    "websocket_reader": websocket_reader,
    "http_upgrade": http_upgrade,
    "client_command": client_command,
    "channel_identifier": channel_identifier,
    "service_command": service_command,
    "jwt": jwt,
    "signed_stream": signed_stream,
    "stream_subject": stream_subject,
    "stream_message": stream_message,
    "json_patch": json_patch,
    "state_records": state_records,
}


def write(root):
    for target, make in TARGETS.items():
        folder = os.path.join(root, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for name, data in make().items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)


def same(a, b):
    for target in TARGETS:
        fa, fb = os.path.join(a, target), os.path.join(b, target)
        names = sorted(os.listdir(fa)) if os.path.isdir(fa) else []
        if not os.path.isdir(fb) or names != sorted(os.listdir(fb)):
            return False
        for n in names:
            with open(os.path.join(fa, n), "rb") as x, open(os.path.join(fb, n), "rb") as y:
                if x.read() != y.read():
                    return False
    return True


def main():
    corpus = os.path.join(HERE, "corpus")
    if sys.argv[1:] == ["--check"]:
        with tempfile.TemporaryDirectory() as tmp:
            write(tmp)
            if not same(tmp, corpus):
                sys.exit("make_corpus: tests/fuzz/corpus differs from what "
                         "make_corpus.py writes: run tests/fuzz/make_corpus.py")
        return
    write(corpus)


if __name__ == "__main__":
    main()
