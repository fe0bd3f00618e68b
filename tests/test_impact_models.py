"""The versions' models that an impact run on Dask sends to its workers (impact/run.py, `Job.models`;
impact/judge.py, `checker`): a worker that sees a spec's file unchanged compiles the model it was
sent instead of parsing the file again, and gives the same results; a model that is not the spec's
(another content hash), or a spec the worker sees only as text, is loaded there as before."""

from __future__ import annotations

import dataclasses
import json
import pickle
import sys

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from make_base import make_rows  # noqa: E402

from tariffcheck import catalog  # noqa: E402
from tariffcheck.impact import judge as J  # noqa: E402
from tariffcheck.impact import run as R  # noqa: E402
from tariffcheck.impact.run import result_line  # noqa: E402
from tariffcheck.impact.sources import Row  # noqa: E402

NEW = str(EXAMPLES / "secure_endpoint_next.tariff")
OLD = "secure-endpoint"
# each test compiles its own Checkers: the process keeps one per (hash, timeout), so a timeout no
# other test uses gives a fresh one
_timeouts = iter(range(7_001, 7_100))


def _fresh_options() -> J.Options:
    return J.Options(timeout_ms=next(_timeouts))


def test_the_job_sends_both_versions_as_loaded_here_and_they_survive_pickling():
    job = R.Job(J.Spec.of(NEW), J.Spec.of(OLD), J.Options(), "unused")
    models = R._models(job)
    assert [m.content_hash for m in models] == [job.new.content_hash, job.old.content_hash]
    sent = pickle.loads(pickle.dumps(dataclasses.replace(job, models=models)))
    assert sent == job, "the models are not part of what the job is (its manifest)"
    assert list(sent.models) == [catalog.load(NEW), catalog.load(OLD)]


def test_a_model_sent_with_the_job_is_compiled_as_it_is_and_judges_as_the_file():
    new, old = J.Spec.of(NEW), J.Spec.of(OLD)
    options = _fresh_options()
    sent = pickle.loads(pickle.dumps(R._models(R.Job(new, old, options, "unused"))))  # as a worker gets them
    with_models = J.Judge(new, old, options, sent)
    assert with_models.new.c.tariff is sent[0] and with_models.old.c.tariff is sent[1]
    parsed = J.Judge(new, old, _fresh_options())
    assert parsed.new.c.tariff is not sent[0]
    rows = make_rows(OLD, 400, seed=11, broken=0.2, malformed=10, pool_size=150)
    for i, (key, order) in enumerate(rows, 1):
        row = Row(i, key, order if isinstance(order, str) else json.dumps(order))
        assert result_line(with_models.judge(row, "base").result) == result_line(parsed.judge(row, "base").result)


def test_a_model_of_another_content_is_not_used():
    new, old = J.Spec.of(NEW), J.Spec.of(OLD)
    options = _fresh_options()
    c = J.checker(new, options.timeout_ms, catalog.load(OLD))  # the old version's model for the new spec
    assert c.tariff.content_hash == new.content_hash
    assert c.tariff is not catalog.load(OLD)


def test_a_spec_this_process_sees_only_as_text_is_loaded_from_its_text(tmp_path):
    new = J.Spec.of(NEW)
    elsewhere = dataclasses.replace(new, path=str(tmp_path / "not-here" / "next.tariff"))  # another machine's path
    c = J.checker(elsewhere, _fresh_options().timeout_ms, catalog.load(NEW))
    assert c.tariff is not catalog.load(NEW), "the model names the sender's file, not the copy this process reads"
    assert c.tariff.content_hash == new.content_hash
