"""The LLM coder against a small chat-completions server on 127.0.0.1 (no network)."""

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from analysis import canonical
from analysis.coders.llm import (
    ENV_ALLOW_HTTP,
    STUDY_PROMPT_FILE,
    LLMCoder,
    LLMConfig,
    LLMError,
    _Client,
    build_prompt,
    check_endpoint,
    parse_answer,
    prompt_hash,
)
from analysis.coding import make_coder

SECRET = "sk-test-0123456789-do-not-leak"
KEY_ENV = "ANALYSIS_TEST_LLM_KEY"


def answer(
    category="enforcement",
    application_type="smart_recognition",
    techniques=("image_recognition",),
    flags=None,
    frame_flags=(
        "data_governance",
        "human_rights",
        "ethics",
        "explainability",
        "personal_data",
        "automated_decision",
    ),
):
    flags = flags or {f: f in ("data_governance", "personal_data") for f in frame_flags}
    return json.dumps(
        {
            "category": category,
            "application_type": application_type,
            "techniques": list(techniques),
            "flags": flags,
            "summary": "重點摘錄",
        },
        ensure_ascii=False,
    )


def completion(content):
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        }
    )


class Server:
    """Answers like a chat-completions API; ``script`` is consumed one entry per request:
    (status, body), ("sleep", seconds, body) or ("redirect", status, location); when empty it
    answers validly. Every request (POST or GET) is recorded with its Authorization header."""

    def __init__(self):
        self.script, self.requests = [], []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(
                    self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
                )
                outer.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                )
                step = outer.script.pop(0) if outer.script else (200, completion(answer()))
                if step[0] == "redirect":
                    self.send_response(step[1])
                    self.send_header("Location", step[2])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if step[0] == "sleep":
                    time.sleep(step[1])
                    step = (200, step[2])
                status, text = step
                data = text.encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                outer.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "body": None}
                )
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture()
def cfg(server, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)
    return LLMConfig(
        base_url=server.url,
        model="test-model",
        api_key_env=KEY_ENV,
        timeout=0.3,
        max_retries=2,
        backoff=0.01,
        requests_per_minute=0,
        cache_dir=tmp_path / "cache",
        progress=False,
    )


def test_prompt_is_the_studys_prompt_then_json_instructions(frame, study):
    stored = STUDY_PROMPT_FILE.read_text(encoding="utf-8").strip()
    assert stored.startswith("請你當我的助理，依我給你的這些資訊")
    assert stored.endswith(
        "紅色標題的風險為資料治理、人權保護、倫理、模型可解釋性、個人資料以及自動化決策風險六種。"
    )
    prompt = build_prompt(study.iloc[0], frame)
    assert prompt.startswith(stored)
    assert all(
        k in prompt for k in frame.category_keys + frame.application_type_keys + frame.flag_keys
    )
    assert "5G智慧警察行動服務研析" in prompt


def test_parse_answer_validates_against_the_frame(frame):
    good, problems = parse_answer("```json\n" + answer() + "\n```", frame)
    assert (
        problems == []
        and good["category"] == "enforcement"
        and good["techniques"] == ["image_recognition"]
    )
    assert parse_answer("not json", frame)[0] is None
    bad, problems = parse_answer(answer(category="surveillance"), frame)
    assert bad is None and "surveillance" in problems[0]
    bad, problems = parse_answer(
        answer(category="adjudication", application_type="smart_recognition"), frame
    )
    assert bad is None and "does not belong" in problems[0]
    bad, problems = parse_answer(answer(techniques=("telepathy",)), frame)
    assert bad is None and "telepathy" in problems[0]
    flags = {f: True for f in frame.flag_keys[:5]}
    assert parse_answer(answer(flags=flags), frame)[0] is None


def test_codes_then_answers_from_the_cache(server, cfg, frame, study):
    coder = LLMCoder(cfg, frame)
    codes = coder.code(study.iloc[:3])
    assert len(server.requests) == 3 and coder.failures.empty
    assert server.requests[0]["path"] == "/v1/chat/completions"
    assert server.requests[0]["body"]["model"] == "test-model"
    assert server.requests[0]["auth"] == f"Bearer {SECRET}"
    cat = codes[codes["field"] == "category"]
    assert list(cat["value"]) == ["enforcement"] * 3 and set(codes["coded_by"]) == {"llm"}
    assert len(list((cfg.cache_path).glob("*.entry"))) == 3
    again = LLMCoder(cfg, frame).code(study.iloc[:3])
    assert len(server.requests) == 3  # nothing sent: all answers cached
    pd.testing.assert_frame_equal(codes, again)
    dry = LLMCoder(cfg, frame).dry_run(study.iloc[:5])
    assert dry.calls == 2 and dry.cached == 3 and len(server.requests) == 3
    prompt = build_prompt(study.iloc[0], frame)
    assert dry.prompts.loc[0, "prompt_sha256"] == prompt_hash("test-model", prompt)


def test_dry_run_sends_nothing_and_unconfigured_refuses(server, tmp_path, frame, study):
    cfg = LLMConfig(cache_dir=tmp_path, progress=False)
    coder = LLMCoder(cfg, frame)
    dry = coder.dry_run(study)
    assert dry.calls == 11 and dry.cached == 0 and "no endpoint configured" in str(dry)
    with pytest.raises(LLMError, match="no LLM endpoint configured"):
        coder.code(study)
    assert server.requests == []


def test_retries_server_errors_timeouts_and_broken_bodies(server, cfg, frame, study):
    server.script = [
        (500, "oops"),
        ("sleep", 0.6, completion(answer())),
        (200, "{not json"),
        (
            200,
            completion(
                answer(category="public_services", application_type="engagement_management")
            ),
        ),
    ]
    coder = LLMCoder(dataclasses.replace(cfg, max_retries=3), frame)
    codes = coder.code(study.iloc[:1])
    assert coder.failures.empty
    assert codes.set_index("field").loc["category", "value"] == "public_services"
    assert len(server.requests) == 4


def test_invalid_answers_are_retried_then_reported_never_guessed(server, cfg, frame, study):
    outside = completion(answer(category="surveillance"))
    server.script = [(200, outside), (200, outside)]  # first case: invalid twice
    coder = LLMCoder(cfg, frame)
    codes = coder.code(study.iloc[:2])
    assert list(coder.failures["case_id"]) == ["digi-1"]
    assert "surveillance" in coder.failures.loc[0, "error"]
    assert set(codes["case_id"]) == {"digi-2"}
    # the retry told the model what was wrong
    retry = server.requests[1]["body"]["messages"]
    assert retry[-1]["role"] == "user" and "surveillance" in retry[-1]["content"]
    assert len(list(cfg.cache_path.glob("*.entry"))) == 1  # the failure is not cached


def test_persistent_failures_and_refusals(server, cfg, frame, study):
    server.script = [(503, "busy")] * 3 + [(401, "no")]
    coder = LLMCoder(cfg, frame)
    codes = coder.code(study.iloc[:2])
    assert codes.empty and len(coder.failures) == 2
    assert (
        "HTTP 503" in coder.failures.loc[0, "error"]
        and "3 attempt" in coder.failures.loc[0, "error"]
    )
    assert (
        "HTTP 401" in coder.failures.loc[1, "error"]
        and "not retried" in coder.failures.loc[1, "error"]
    )
    assert len(server.requests) == 4


def test_personal_fields_are_stripped_before_the_prompt(server, cfg, frame):
    table = canonical.coerce(
        pd.DataFrame(
            [
                {
                    "case_id": "hand-1",
                    "inventory": "hand",
                    "name": "Helpdesk chatbot",
                    "description": (
                        "Questions to jane.doe@agency.example or +32 2 555 12 34 are answered."
                    ),
                    "contact": "Jane Doe",
                }
            ]
        ),
        frame,
    )
    LLMCoder(cfg, frame).code(table)
    sent = json.dumps(server.requests[0]["body"], ensure_ascii=False)
    assert "Helpdesk chatbot" in sent
    assert (
        "Jane Doe" not in sent and "jane.doe@agency.example" not in sent and "555 12 34" not in sent
    )


def test_rate_limit_spaces_requests(server, cfg):
    slept = []
    ticks = iter([0.0, 0.1, 0.1, 5.0])
    client = _Client(
        dataclasses.replace(cfg, requests_per_minute=30),
        sleep=slept.append,
        clock=lambda: next(ticks),
    )
    client.chat([{"role": "user", "content": "a"}])
    client.chat([{"role": "user", "content": "b"}])
    assert slept == [pytest.approx(60 / 30 - 0.1)]


def test_the_api_key_is_never_written(server, cfg, frame, study, tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_OUTPUT_DIR", str(tmp_path / "out"))
    server.script = [(500, "x"), (200, completion(answer(category="nowhere"))), (200, "garbage")]
    coder = LLMCoder(cfg, frame)
    codes = coder.code(study.iloc[:3])
    failures = coder.failures
    out = tmp_path / "out"
    canonical.write(study, out / "coded.csv")
    codes.to_csv(out / "codes.csv")
    failures.to_csv(out / "failures.csv")
    (out / "config.txt").write_text(repr(cfg) + str(coder.dry_run(study)))
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) >= 5
    for p in written:
        assert SECRET.encode() not in p.read_bytes(), p
    assert SECRET not in repr(cfg)


def test_llm_coder_from_the_environment(server, tmp_path, monkeypatch, frame):
    monkeypatch.setenv("ANALYSIS_LLM_BASE_URL", server.url)
    monkeypatch.setenv("ANALYSIS_LLM_MODEL", "env-model")
    coder = make_coder("llm", frame, cache_dir=tmp_path, progress=False)
    assert (
        coder.cfg.configured
        and coder.cfg.model == "env-model"
        and coder.cfg.api_key_env == "ANALYSIS_LLM_API_KEY"
    )
    monkeypatch.delenv("ANALYSIS_LLM_BASE_URL")
    assert not make_coder("llm", frame, cache_dir=tmp_path).cfg.configured


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_refused_and_the_key_goes_nowhere_else(server, cfg, frame, study, status):
    elsewhere = Server()
    try:
        server.script = [("redirect", status, elsewhere.url + "/chat/completions")]
        coder = LLMCoder(cfg, frame)
        with pytest.raises(LLMError, match=f"HTTP {status} with a redirect to http://127.0.0.1:"):
            coder.code(study.iloc[:3])
        assert elsewhere.requests == []
        assert len(server.requests) == 1  # refused at once, not retried, no further case sent
        assert SECRET not in str(coder.failures) and list(cfg.cache_path.glob("*.entry")) == []
    finally:
        elsewhere.close()


@pytest.mark.parametrize(
    "url",
    ["http://192.0.2.10/v1", "http://llm.example.org:8000/v1", "http://user:pw@10.0.0.2/v1"],
)
def test_plain_http_to_another_machine_is_refused_unless_allowed(
    server, cfg, frame, study, url, monkeypatch
):
    remote = dataclasses.replace(cfg, base_url=url)
    with pytest.raises(LLMError, match=f"plain HTTP to another machine.*{ENV_ALLOW_HTTP}=1") as err:
        LLMCoder(remote, frame).code(study.iloc[:1])
    assert "pw" not in str(err.value) and "未加密" in str(err.value)
    with pytest.raises(LLMError, match="plain HTTP"):
        _Client(remote).chat([{"role": "user", "content": "a"}])
    check_endpoint(dataclasses.replace(remote, allow_http=True))
    monkeypatch.setenv("ANALYSIS_LLM_BASE_URL", url)
    monkeypatch.setenv("ANALYSIS_LLM_MODEL", "m")
    monkeypatch.setenv(ENV_ALLOW_HTTP, "1")
    assert LLMConfig.from_env().allow_http
    check_endpoint(LLMConfig.from_env())
    assert server.requests == []


def test_https_and_this_machine_are_accepted_other_schemes_refused(cfg):
    for url in ("https://api.example.org/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1"):
        check_endpoint(dataclasses.replace(cfg, base_url=url))
    for url in ("ftp://api.example.org/v1", "file:///etc/passwd", "api.example.org/v1"):
        with pytest.raises(LLMError, match="not an http"):
            check_endpoint(dataclasses.replace(cfg, base_url=url))


def test_personal_data_in_the_text_is_masked_and_counted(server, cfg, frame):
    description = (
        "Synthetic case: 聯絡人：王小明，身分證A123456789，手機０９１２－３４５－６７８，"
        "信箱 ｗａｎｇ＠ｅｘａｍｐｌｅ．ｔｗ 或 wang(at)example(dot)tw，LINE ID: wxm_1990，"
        "地址臺北市中正區重慶南路一段122號；Mei Lin 負責驗收。"
    )
    table = canonical.coerce(
        pd.DataFrame(
            [
                {
                    "case_id": "syn-1",
                    "inventory": "synthetic",
                    "name": "Chatbot",
                    "description": description,
                    "contact": "Mei Lin",
                }
            ]
        ),
        frame,
    )
    coder = LLMCoder(cfg, frame)
    coder.code(table)
    sent = server.requests[0]["body"]["messages"][0]["content"]
    case = sent[sent.index("description: ") :].splitlines()[0]
    assert case == (
        "description: Synthetic case: 聯絡人：[name]，身分證[national-id]，手機[phone]，"
        "信箱 [e-mail] 或 [e-mail]，LINE ID: [line-id]，地址[address]；[personal] 負責驗收。"
    )
    masked = coder.masked.set_index("kind")
    assert masked["count"].to_dict() == {
        "address": 1,
        "e_mail": 2,
        "line_id": 1,
        "national_id": 1,
        "person_name": 1,
        "personal_column": 1,
        "phone": 1,
    }
    assert masked.loc["national_id", "checksum_ok"] == 1
    assert set(coder.masked["case_id"]) == {"syn-1"}
