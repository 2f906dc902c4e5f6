"""Cheaper apps for the test suite (a pytest plugin named in conftest.py).

Every test builds its own app (its config is its own), and two costs of a new
app are the same work done again each time: Werkzeug compiles a URL builder
for each of ~80 rules (Python source through ast and compile()), and Jinja
compiles each template the app renders for the first time. Both results depend
only on the rule or the template source, so the worker keeps them: a test
still gets a new app, map and Jinja environment, with the same code in them.

Two of these reach into the internals of Werkzeug (a rule's parsed parts and
its URL builder) and of Flask-SQLAlchemy (how it makes an engine), which may
change in any release: the plugin refuses to start against other versions
than the ones it was written for (PINNED), with a message that says what to
check; requirements.lock pins the same versions.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest
from jinja2 import BytecodeCache

# The versions whose internals the patches below were read against.
PINNED = {"Werkzeug": "3.1.9", "Flask-SQLAlchemy": "3.1.1"}


def _mismatches() -> list[str]:
    return [f"{name} {version(name)} (the patches were written for {pinned})"
            for name, pinned in PINNED.items() if version(name) != pinned]


def pytest_configure(config):
    wrong = _mismatches()
    if wrong:
        raise pytest.UsageError(
            "tests/speedups.py patches internals of Werkzeug and Flask-SQLAlchemy, and this is "
            + "; ".join(wrong) + ". Read the patched functions against the new version, "
            "then update PINNED (requirements.lock pins the packages).")
    _cache_url_builders()
    _cache_rule_parsing()
    _share_engines()


def speed_up(app) -> None:
    """Let a new test app use the worker's compiled templates."""
    app.jinja_env.bytecode_cache = TEMPLATE_BYTECODE


class _TemplateBytecode(BytecodeCache):
    """Jinja's compiled templates, kept in memory for the worker's apps: the code
    objects themselves (immutable, so every app may run the same one), not
    marshalled bytes to read again. Keyed with a checksum of the template
    source, so an edited template compiles anew."""

    def __init__(self):
        self._store: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        found = self._store.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATE_BYTECODE = _TemplateBytecode()


def _cache_url_builders() -> None:
    """Reuse Werkzeug's compiled URL builder of a rule for every later app.

    The builder is a function of the rule's parsed parts, its defaults and
    whether unknown arguments are appended; it reaches the rule's converters
    through its first argument (the rule it is bound to), so one function
    serves every app's copy of the rule."""
    from werkzeug.routing.rules import Rule

    original = Rule._compile_builder
    if getattr(original, "kiosk_cached", False):
        return
    builders: dict = {}

    def compile_builder(self, append_unknown: bool = True):
        try:
            key = (append_unknown, self.rule, self.subdomain, self.host, self.merge_slashes,
                   tuple(self._trace), repr(sorted((self.defaults or {}).items())))
            hash(key)
        except TypeError:
            return original(self, append_unknown)
        found = builders.get(key)
        if found is None:
            found = builders[key] = original(self, append_unknown)
        return found

    compile_builder.kiosk_cached = True
    Rule._compile_builder = compile_builder



def _cache_rule_parsing() -> None:
    """Parse each URL rule once for every later app of the worker.

    Each test's app registers its ~110 rules again and Werkzeug parses every
    one (regular expressions, weights): about 40 ms an app, a fifth of a test.
    A rule's parse depends only on its text, host/subdomain and the map's
    converter classes; the converters themselves are made new for each map."""
    from werkzeug.routing.rules import Rule

    original = Rule.compile
    if getattr(original, "kiosk_cached", False):
        return
    parsed: dict = {}

    def compile_rule(self) -> None:
        key = (self.rule, self.host, self.subdomain, self.merge_slashes, self.map.host_matching,
               frozenset(self.map.converters.items()))
        found = parsed.get(key)
        if found is None:
            calls: list = []
            make = self.get_converter

            def recording(variable, name, args, kwargs):
                calls.append((variable, name, args, dict(kwargs)))
                return make(variable, name, args, kwargs)

            self.get_converter = recording
            try:
                original(self)
            finally:
                del self.get_converter
            parsed[key] = (list(self._parts), list(self._trace), calls)
            return
        parts, trace, calls = found
        self._parts, self._trace, self._converters = list(parts), list(trace), {}
        for variable, name, args, kwargs in calls:
            self._converters[variable] = self.get_converter(variable, name, args, kwargs)
            self.arguments.add(variable)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    compile_rule.kiosk_cached = True
    Rule.compile = compile_rule



def _share_engines() -> None:
    """One SQLAlchemy engine per database (and write-guard setting) for the worker's apps.

    An engine keeps the SQL it compiled for each statement (its compiled cache);
    a new engine per test compiled every query again. The apps of a worker use
    the same database, so they share its engine, set up once (kiosk/database.py's
    listeners); each test still ends by emptying the tables and disposing of the
    pool, so no connection outlives the test that opened it."""
    from flask_sqlalchemy import SQLAlchemy

    from kiosk import database

    original_make, original_setup = SQLAlchemy._make_engine, database.setup_engine
    if getattr(original_make, "kiosk_shared", False):
        return
    engines: dict = {}
    ready: set[int] = set()

    def make_engine(self, bind_key, options, app):
        key = (bind_key, repr(sorted(options.items(), key=lambda kv: kv[0])),
               bool(app.config.get("SQLITE_WRITE_GUARD")))
        if key not in engines:
            engines[key] = original_make(self, bind_key, options, app)
        return engines[key]

    def setup_engine(engine, guard: bool = False) -> None:
        if id(engine) in ready:
            return
        ready.add(id(engine))
        original_setup(engine, guard=guard)

    make_engine.kiosk_shared = True
    SQLAlchemy._make_engine = make_engine
    database.setup_engine = setup_engine
