"""The LLM coder: the study's own prompt, sent to a chat-completions endpoint.

The study coded each case by pasting it into GPT with the prompt stored verbatim in
``data/prompts/study_prompt.zh-TW.txt``; this coder sends the same prompt followed by
``data/prompts/json_answer.zh-TW.txt``, which asks for the answer as JSON whose codes are
taken from the frame. Every answer is validated against the frame: an invalid answer is
sent back once more with the problems listed, and a case that still fails is reported in
:attr:`LLMCoder.failures` — never guessed.

Any OpenAI-compatible ``/chat/completions`` endpoint works (a hosted service, or Ollama
and vLLM locally). It is configured by base URL and model, and by the *name* of an
environment variable holding the API key; the key itself is read when a request is made
and never written to a cache file, an output, an error message or a log. Nothing is sent
unless a base URL and a model are configured.

Answers are kept in the content-addressed cache (:mod:`analysis.cache`, namespace
``llm``) under the model and the prompt, so re-running costs nothing and returns identical
codes; an answer depends on nothing else, so it survives changes to the package's code.
Requests have a timeout, are retried with exponential backoff on timeouts, connection
errors, 429 and 5xx answers, and are spaced to a maximum rate. :meth:`LLMCoder.dry_run`
lists the prompts and the number of calls that would be made, without sending anything.
Only the standard library speaks HTTP.

Nothing personal leaks: personal columns are never sent, and the text that is sent is
masked by :mod:`analysis.coders.personal` (e-mail addresses, national IDs, phone numbers,
LINE IDs, street addresses, names; :attr:`LLMCoder.masked` counts what was masked). The
key is sent only to the configured address: redirects are refused, and plain HTTP is
refused unless the host is the local machine or ``allow_http`` (``ANALYSIS_LLM_ALLOW_HTTP=1``)
says otherwise.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import string
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import cache, config
from ..canonical import TECHNIQUE_SEP
from ..frame import Frame, load_frame
from .base import PERSONAL_FIELDS, TEXT_COLUMNS, CodingError, codes_frame
from .personal import mask_personal

PROMPTS_DIR = config.DATA_DIR / "prompts"
STUDY_PROMPT_FILE = PROMPTS_DIR / "study_prompt.zh-TW.txt"
JSON_PROMPT_FILE = PROMPTS_DIR / "json_answer.zh-TW.txt"
ENV_BASE_URL = "ANALYSIS_LLM_BASE_URL"
ENV_MODEL = "ANALYSIS_LLM_MODEL"
ENV_KEY_NAME = "ANALYSIS_LLM_API_KEY_ENV"
DEFAULT_KEY_ENV = "ANALYSIS_LLM_API_KEY"
ENV_ALLOW_HTTP = "ANALYSIS_LLM_ALLOW_HTTP"
RETRY_STATUS = (408, 409, 425, 429, 500, 502, 503, 504)
FAILURE_COLUMNS = ["case_id", "inventory", "error"]
MASKED_COLUMNS = ["case_id", "inventory", "column", "kind", "count", "checksum_ok"]
CACHE_NAMESPACE = "llm"


class LLMError(CodingError):
    """The LLM coder cannot run (not configured, endpoint unusable)."""


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to ask. The API key is never stored here: only the name of the
    environment variable that holds it."""

    base_url: str | None = None
    model: str | None = None
    api_key_env: str = DEFAULT_KEY_ENV
    timeout: float = 60.0
    max_retries: int = 3
    backoff: float = 1.0
    requests_per_minute: float = 30.0
    max_invalid: int = 1
    temperature: float = 0.0
    json_mode: bool = False
    cache_dir: Path | None = None
    personal_fields: tuple[str, ...] = PERSONAL_FIELDS
    progress: bool = True
    #: send to a plain-HTTP endpoint that is not on this machine (the key travels unencrypted)
    allow_http: bool = False

    @classmethod
    def from_env(cls, **overrides) -> LLMConfig:
        """Configuration from ``ANALYSIS_LLM_BASE_URL``, ``ANALYSIS_LLM_MODEL`` and
        ``ANALYSIS_LLM_API_KEY_ENV`` (default ``ANALYSIS_LLM_API_KEY``), then overrides."""
        values = {
            "base_url": os.environ.get(ENV_BASE_URL) or None,
            "model": os.environ.get(ENV_MODEL) or None,
            "api_key_env": os.environ.get(ENV_KEY_NAME) or DEFAULT_KEY_ENV,
            "allow_http": os.environ.get(ENV_ALLOW_HTTP, "").strip().lower()
            in ("1", "true", "yes"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def configured(self) -> bool:
        return bool(self.base_url) and bool(self.model)

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    @property
    def cache_path(self) -> Path:
        """The folder of stored answers: ``cache_dir`` if given, else the cache's ``llm``
        namespace."""
        return Path(self.cache_dir) if self.cache_dir else cache.folder(CACHE_NAMESPACE)

    def public_url(self) -> str:
        """The base URL without any user:password part (safe to show)."""
        parts = urllib.parse.urlsplit(self.base_url or "")
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(cfg: LLMConfig) -> None:
    """Raise :class:`LLMError` unless the base URL is HTTPS, or plain HTTP to this machine,
    or plain HTTP allowed by ``cfg.allow_http``."""
    parts = urllib.parse.urlsplit(cfg.base_url or "")
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("http", "https") or not host:
        raise LLMError(
            f"base URL {cfg.public_url()!r} is not an http(s) address; nothing was sent / "
            f"基礎網址 {cfg.public_url()!r} 不是 http(s) 網址；未傳送任何資料"
        )
    if scheme == "http" and not _loopback(host) and not cfg.allow_http:
        raise LLMError(
            f"base URL {cfg.public_url()!r} is plain HTTP to another machine: the API key and "
            f"the cases would travel unencrypted; use https, or set {ENV_ALLOW_HTTP}=1 "
            f"(allow_http=True) to allow it; nothing was sent / 基礎網址 {cfg.public_url()!r} "
            f"是連往其他主機的未加密 HTTP，API 金鑰與案例會以明文傳送；請改用 https，或設定 "
            f"{ENV_ALLOW_HTTP}=1 以允許；未傳送任何資料"
        )


class _Redirected(LLMError):
    """The endpoint answered with a redirect (never followed: the key would go along)."""


def _refuse_redirects(cfg: LLMConfig):
    """A urllib redirect handler that follows no redirect and says where it pointed
    (``urllib.request``, with the HTTP, e-mail and TLS modules it loads, is imported only
    by a coder that calls an endpoint)."""
    import urllib.request

    class RefuseRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            to = urllib.parse.urlsplit(newurl)
            where = f"{to.scheme}://{to.hostname or ''}" + (f":{to.port}" if to.port else "")
            fp.close()
            raise _Redirected(
                f"{cfg.public_url()} answered HTTP {code} with a redirect to {where}; "
                f"redirects are not followed so that the API key goes to no other address: set "
                f"{ENV_BASE_URL} to the final address; nothing more was sent / 端點回應 HTTP "
                f"{code} 重新導向至 {where}；為免 API 金鑰送往其他位址，不跟隨重新導向：請將 "
                f"{ENV_BASE_URL} 設為最終網址；未再傳送任何資料"
            )

    return RefuseRedirects()


# -- prompts ------------------------------------------------------------------------------
def study_prompt() -> str:
    """The study's prompt, verbatim."""
    return STUDY_PROMPT_FILE.read_text(encoding="utf-8").strip()


def answer_instructions() -> string.Template:
    return string.Template(JSON_PROMPT_FILE.read_text(encoding="utf-8").strip())


def _frame_lists(frame: Frame) -> dict[str, str]:
    cats = []
    for c in frame.category_keys:
        cats.append(
            f"- {c}: {frame.label('category', c, 'zh-TW')} ({frame.label('category', c, 'en')})"
        )
        for t in frame.application_types_of(c):
            e = frame.entry("application_type", t)
            cats.append(f"    - {t}: {e.name_zh} ({e.name_en}) — {e.definition_zh}")
    techs = [
        f"- {t}: {frame.label('technique', t, 'zh-TW')} ({frame.label('technique', t, 'en')})"
        for t in frame.technique_keys
    ]
    flags = [
        f"- {f}: {frame.label('flag', f, 'zh-TW')} ({frame.label('flag', f, 'en')})"
        for f in frame.flag_keys
    ]
    template = ", ".join(f'"{f}": true|false' for f in frame.flag_keys)
    return {
        "categories": "\n".join(cats),
        "techniques": "\n".join(techs),
        "flags": "\n".join(flags),
        "flag_template": template,
    }


def _present(row: pd.Series, col: str) -> bool:
    return col in row.index and not pd.isna(row[col]) and bool(str(row[col]).strip())


def masked_case(
    row: pd.Series, personal_fields: tuple[str, ...] = PERSONAL_FIELDS
) -> tuple[str, list[dict]]:
    """The case as pasted into the prompt (its text columns, personal columns left out,
    personal data masked), and one row per column and kind of data masked."""
    known = tuple(str(row[c]) for c in personal_fields if _present(row, c))
    lines, masked = [], []
    for col in TEXT_COLUMNS:
        if col in personal_fields or not _present(row, col):
            continue
        text, found = mask_personal(str(row[col]).strip(), known)
        lines.append(f"{col}: {text}")
        for kind in sorted({f.kind for f in found}):
            hits = [f for f in found if f.kind == kind]
            checks = [f.checksum_ok for f in hits if f.checksum_ok is not None]
            masked.append(
                {
                    "column": col,
                    "kind": kind,
                    "count": len(hits),
                    "checksum_ok": sum(checks) if checks else pd.NA,
                }
            )
    return "\n".join(lines), masked


def case_block(row: pd.Series, personal_fields: tuple[str, ...] = PERSONAL_FIELDS) -> str:
    """The case as pasted into the prompt (see :func:`masked_case`)."""
    return masked_case(row, personal_fields)[0]


def build_prompt(
    row: pd.Series, frame: Frame | None = None, personal_fields: tuple[str, ...] = PERSONAL_FIELDS
) -> str:
    """The full prompt for one case: the study's prompt, then the JSON instructions
    with the frame's codes and the case."""
    frame = frame or load_frame()
    body = answer_instructions().substitute(
        **_frame_lists(frame), case=case_block(row, personal_fields)
    )
    return f"{study_prompt()}\n\n{body}"


def prompt_hash(model: str, prompt: str) -> str:
    """The key of an answer: the model and the prompt (nothing else changes the answer)."""
    return hashlib.sha256(
        json.dumps({"model": model, "prompt": prompt}, ensure_ascii=False).encode("utf-8")
    ).hexdigest()


# -- answers --------------------------------------------------------------------------------
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)


def _json_object(content: str) -> tuple[dict | None, str | None]:
    """The answer's JSON object (a fenced block is unwrapped), or a problem."""
    text = (content or "").strip()
    m = _FENCE.match(text)
    if m:
        text = m.group(1)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None, "the answer is not valid JSON"
    if not isinstance(data, dict):
        return None, "the answer is not a JSON object"
    return data, None


def _closed_problems(cat: object, typ: object, frame: Frame) -> list[str]:
    problems = []
    if cat not in frame.category_keys:
        problems.append(f"category {cat!r} is not one of {', '.join(frame.category_keys)}")
    if typ is not None and typ not in frame.application_type_keys:
        problems.append(
            f"application_type {typ!r} is not one of {', '.join(frame.application_type_keys)}"
        )
    elif typ is not None and cat in frame.category_keys and frame.category_of(typ) != cat:
        problems.append(f"application_type {typ!r} does not belong to category {cat!r}")
    return problems


def _technique_problems(techs: object, frame: Frame) -> list[str]:
    if not isinstance(techs, list) or not all(isinstance(t, str) for t in techs):
        return ["techniques must be a list of technique keys"]
    bad = [t for t in techs if t not in frame.technique_keys]
    return [f"techniques {bad} are not in {', '.join(frame.technique_keys)}"] if bad else []


def _flag_problems(flags: object, frame: Frame) -> list[str]:
    if not isinstance(flags, dict):
        flags = {}
        problems = ["flags must be an object with true/false for every flag"]
    else:
        problems = []
    missing = [f for f in frame.flag_keys if not isinstance(flags.get(f), bool)]
    if missing:
        problems.append(f"flags {missing} need true or false")
    extra = sorted(set(flags) - set(frame.flag_keys))
    if extra:
        problems.append(f"flags {extra} are not in the frame")
    return problems


def parse_answer(content: str, frame: Frame | None = None) -> tuple[dict | None, list[str]]:
    """Validate an answer against the frame: ``(answer, [])`` or ``(None, problems)``."""
    frame = frame or load_frame()
    data, problem = _json_object(content)
    if data is None:
        return None, [problem]
    cat, typ = data.get("category"), data.get("application_type")
    techs, flags = data.get("techniques", []), data.get("flags")
    problems = (
        _closed_problems(cat, typ, frame)
        + _technique_problems(techs, frame)
        + _flag_problems(flags, frame)
    )
    if problems:
        return None, problems
    ordered = [t for t in frame.technique_keys if t in set(techs)]
    summary = data.get("summary")
    return {
        "category": cat,
        "application_type": typ,
        "techniques": ordered,
        "flags": {f: flags[f] for f in frame.flag_keys},
        "summary": summary if isinstance(summary, str) else "",
    }, []


def answer_codes(case_id: str, inventory: str, answer: dict, frame: Frame) -> list[dict]:
    """Code rows of one validated answer (confidence NA: the model states none)."""
    base = {
        "case_id": case_id,
        "inventory": inventory,
        "coded_by": "llm",
        "confidence": np.nan,
        "evidence": answer["summary"],
    }
    rows = [{**base, "field": "category", "value": answer["category"]}]
    if answer["application_type"]:
        rows.append({**base, "field": "application_type", "value": answer["application_type"]})
    if answer["techniques"]:
        rows.append(
            {**base, "field": "techniques", "value": TECHNIQUE_SEP.join(answer["techniques"])}
        )
    rows += [
        {**base, "field": f, "value": "yes" if answer["flags"][f] else "no"}
        for f in frame.flag_keys
    ]
    return rows


# -- HTTP ---------------------------------------------------------------------------------
class _Client:
    """Chat-completions over urllib, with timeout, retries, backoff and rate limiting."""

    def __init__(self, cfg: LLMConfig, sleep=time.sleep, clock=time.monotonic):
        self.cfg, self.sleep, self.clock = cfg, sleep, clock
        self._last = None
        self.calls = 0
        import urllib.request

        self._opener = urllib.request.build_opener(_refuse_redirects(cfg))

    def _wait_turn(self) -> None:
        if self.cfg.requests_per_minute and self._last is not None:
            gap = 60.0 / self.cfg.requests_per_minute - (self.clock() - self._last)
            if gap > 0:
                self.sleep(gap)
        self._last = self.clock()

    def chat(self, messages: list[dict]) -> str:
        """The assistant's message content; raises :class:`LLMError` after the retries."""
        import urllib.error
        import urllib.request

        cfg = self.cfg
        check_endpoint(cfg)
        payload = {"model": cfg.model, "messages": messages, "temperature": cfg.temperature}
        if cfg.json_mode:
            payload["response_format"] = {"type": "json_object"}
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(cfg.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        last = "no attempt made"
        for attempt in range(cfg.max_retries + 1):
            if attempt:
                self.sleep(cfg.backoff * 2 ** (attempt - 1))
            self._wait_turn()
            self.calls += 1
            try:
                req = urllib.request.Request(
                    cfg.endpoint, data=body, headers=headers, method="POST"
                )
                with self._opener.open(req, timeout=cfg.timeout) as resp:
                    raw = resp.read()
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code} from {cfg.public_url()}"
                exc.close()
                if exc.code in RETRY_STATUS:
                    continue
                raise LLMError(
                    f"{last}: not retried (check the base URL, the model and the API key variable "
                    f"{cfg.api_key_env})"
                ) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                last = f"no answer from {cfg.public_url()} ({type(reason).__name__})"
                continue
            try:
                data = json.loads(raw.decode("utf-8"))
                return data["choices"][0]["message"]["content"]
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, IndexError, TypeError):
                last = f"a response from {cfg.public_url()} that is not a chat completion"
                continue
        raise LLMError(f"{last} after {cfg.max_retries + 1} attempt(s)")


# -- the coder ----------------------------------------------------------------------------
@dataclass
class DryRun:
    """What :meth:`LLMCoder.code` would send: one row per case, and the number of calls."""

    prompts: pd.DataFrame
    calls: int
    cached: int
    endpoint: str = ""

    def __str__(self) -> str:
        where = self.endpoint or "no endpoint configured"
        return (
            f"{len(self.prompts)} case(s): {self.cached} answered from the cache, "
            f"{self.calls} call(s) to {where}"
        )


@dataclass
class LLMCoder:
    """Codes cases with the study's prompt; see the module docstring."""

    cfg: LLMConfig
    frame: Frame = field(default_factory=load_frame)
    name: str = "llm"

    def __post_init__(self):
        self.failures = pd.DataFrame(columns=FAILURE_COLUMNS)
        self.masked = pd.DataFrame(columns=MASKED_COLUMNS)
        self._client = _Client(self.cfg)

    def _masked_cases(self, cases: pd.DataFrame) -> tuple[list[str], list[dict]]:
        """Each case as pasted into its prompt (:func:`masked_case`) and what was masked,
        kept in the content-addressed cache (namespace ``llm-masked``, keyed by the cases,
        the personal fields and this module's code): finding personal data in thousands of
        descriptions takes seconds, and every coding report asks for the same."""

        def compute() -> tuple[list[str], list[dict]]:
            blocks, masked = [], []
            for _, row in cases.iterrows():
                block, found = masked_case(row, self.cfg.personal_fields)
                ids = {"case_id": row["case_id"], "inventory": row["inventory"]}
                blocks.append(block)
                masked += [{**ids, **m} for m in found]
            return blocks, masked

        return cache.remember(
            "llm-masked", (cases, tuple(self.cfg.personal_fields)), compute, code=__name__
        )

    def _prompts(self, cases: pd.DataFrame) -> pd.DataFrame:
        rows = []
        lists = _frame_lists(self.frame)
        head, template = study_prompt(), answer_instructions()
        blocks, masked = self._masked_cases(cases)
        # the stored answers' files listed once: a prompt without one is not looked up
        folder = self.cfg.cache_path
        entries = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        for case_id, inventory, block in zip(cases["case_id"], cases["inventory"], blocks):
            prompt = f"{head}\n\n{template.substitute(**lists, case=block)}"
            digest = prompt_hash(self.cfg.model or "", prompt)
            stored = f"{digest}{cache.SUFFIX}" in entries and self._stored(digest) is not None
            rows.append(
                {
                    "case_id": case_id,
                    "inventory": inventory,
                    "prompt_sha256": digest,
                    "cached": stored,
                    "prompt": prompt,
                }
            )
        self.masked = pd.DataFrame(masked, columns=MASKED_COLUMNS)
        return pd.DataFrame(
            rows, columns=["case_id", "inventory", "prompt_sha256", "cached", "prompt"]
        )

    def _stored(self, digest: str) -> str | None:
        """The stored answer to a prompt (verified by the cache), or None (always None
        when the cache is off: every case is asked again). An intact entry that is not an
        answer to this prompt and model (unreadable JSON, another prompt or model, an
        answer the frame refuses) is discarded with a note, and the case asked again."""
        if not cache.enabled():
            return None
        folder = self.cfg.cache_path
        data = cache.read(CACHE_NAMESPACE, digest, folder=folder)
        if data is None:
            return None
        try:
            record = json.loads(data.decode("utf-8"))
            content = record["content"]
            if (record.get("prompt_sha256"), record.get("model")) != (digest, self.cfg.model):
                raise ValueError("an answer to another prompt or model")
            if not isinstance(content, str) or parse_answer(content, self.frame)[0] is None:
                raise ValueError("not a valid answer")
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = f"not an answer: {type(exc).__name__}: {exc}"
            cache.discard(CACHE_NAMESPACE, digest, reason, folder=folder)
            return None
        return content

    def _store(self, digest: str, content: str) -> None:
        if not cache.enabled():
            return
        record = {"model": self.cfg.model, "prompt_sha256": digest, "content": content}
        try:
            cache.write(
                CACHE_NAMESPACE,
                digest,
                (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
                folder=self.cfg.cache_path,
            )
        except OSError as exc:  # an answer that cannot be stored is asked again next time
            import logging

            logging.getLogger(__name__).info("LLM answer %s not stored (%s)", digest, exc)

    def dry_run(self, cases: pd.DataFrame) -> DryRun:
        """The prompts and how many calls :meth:`code` would make (nothing is sent)."""
        prompts = self._prompts(cases)
        cached = int(prompts["cached"].sum())
        return DryRun(
            prompts,
            len(prompts) - cached,
            cached,
            self.cfg.public_url() if self.cfg.configured else "",
        )

    def _ask(self, prompt: str) -> tuple[dict | None, str]:
        messages = [{"role": "user", "content": prompt}]
        problems: list[str] = []
        for _ in range(self.cfg.max_invalid + 1):
            content = self._client.chat(messages)
            answer, problems = parse_answer(content, self.frame)
            if answer is not None:
                return answer, content
            messages = messages + [
                {"role": "assistant", "content": content},
                {
                    "role": "user",
                    "content": (
                        "上一個回答不符合格式 / The previous answer is invalid: "
                        + "; ".join(problems)
                        + "。請只回傳符合上述清單的 JSON / "
                        + "Answer again with JSON using only the codes listed."
                    ),
                },
            ]
        return None, "invalid answer: " + "; ".join(problems)

    def code(self, cases: pd.DataFrame) -> pd.DataFrame:
        """Codes for every case answered validly; the others go to :attr:`failures`."""
        if not self.cfg.configured:
            raise LLMError(
                f"no LLM endpoint configured: set {ENV_BASE_URL} and {ENV_MODEL} (and put the API "
                f"key in the variable {self.cfg.api_key_env}); nothing was sent"
            )
        check_endpoint(self.cfg)
        prompts = self._prompts(cases)
        rows, failures = [], []
        iterator = prompts.itertuples(index=False)
        if self.cfg.progress:
            from tqdm.auto import tqdm

            iterator = tqdm(iterator, total=len(prompts), desc="LLM coding", unit="case")
        for p in iterator:
            stored = self._stored(p.prompt_sha256)
            answer = None if stored is None else parse_answer(stored, self.frame)[0]
            if answer is None:
                try:
                    answer, content = self._ask(p.prompt)
                except _Redirected:
                    raise
                except LLMError as exc:
                    failures.append(
                        {"case_id": p.case_id, "inventory": p.inventory, "error": str(exc)}
                    )
                    continue
                if answer is None:
                    failures.append(
                        {"case_id": p.case_id, "inventory": p.inventory, "error": content}
                    )
                    continue
                self._store(p.prompt_sha256, content)
            rows.extend(answer_codes(p.case_id, p.inventory, answer, self.frame))
        self.failures = pd.DataFrame(failures, columns=FAILURE_COLUMNS)
        return codes_frame(rows)
