"""core.runtime.gcfreeze: data built for good is taken out of the cyclic collector's passes, and the
collector is always back on afterwards."""

from __future__ import annotations

import gc
import threading

import pytest

from core.runtime import gcfreeze


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def _collected(obj: object) -> bool:
    """Whether the cyclic collector's passes still walk `obj` (frozen objects are not listed)."""
    return any(o is obj for o in gc.get_objects())


def test_no_collection_while_building_then_what_was_built_is_frozen():
    with gcfreeze.lasting_batch():
        assert not gc.isenabled()
        kept = [["paper", i] for i in range(1000)]  # lists: always tracked by the collector
        assert _collected(kept[0]) and _collected(kept[-1])
    assert gc.isenabled()
    # what was built is out of the passes (not a count of frozen objects: other tests' threads
    # may free frozen objects meanwhile, which made that count flaky)
    assert not _collected(kept[0]) and not _collected(kept[-1]) and not _collected(kept)


def test_nested_and_concurrent_batches_turn_the_collector_back_on_only_when_the_last_ends():
    inside = threading.Event()
    release = threading.Event()

    def other_batch() -> None:
        with gcfreeze.lasting_batch():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_batch)
    thread.start()
    inside.wait(5)
    with gcfreeze.lasting_batch():
        pass
    assert not gc.isenabled()  # the other batch is still being built
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_failing_batch_still_turns_the_collector_back_on():
    with pytest.raises(ValueError):
        with gcfreeze.lasting_batch():
            raise ValueError("corrupt")
    assert gc.isenabled()


def test_build_lasting_runs_the_function_inside_a_batch():
    seen = gcfreeze.build_lasting(gc.isenabled)
    assert seen is False and gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off():
    gc.disable()
    with gcfreeze.lasting_batch():
        pass
    assert not gc.isenabled()


def test_a_batch_that_kept_nothing_freezes_nothing():
    before = gc.get_freeze_count()
    transient = [[i] for i in range(1000)]  # lists are always tracked by the collector
    assert gcfreeze.build_lasting(len, transient, keep=lambda: False) == 1000
    assert gc.isenabled()
    # (other threads' frozen objects may be freed meanwhile: the count can only have gone down)
    assert gc.get_freeze_count() <= before
    gcfreeze.build_lasting(len, transient, keep=lambda: True)
    assert gc.get_freeze_count() > before + len(transient) // 2


def freezing_modules(root=None) -> set[str]:
    """The modules of core/ (but gcfreeze itself) that build data in a lasting batch."""
    import ast
    from pathlib import Path

    root = root or Path(__file__).resolve().parent.parent / "core"
    found = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        if names & {"build_lasting", "lasting_batch"}:
            found.add(".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__"))
    return found - {"core.runtime.gcfreeze"}


def test_only_an_upstreams_parse_the_stores_decode_and_the_ranking_freeze_what_they_build():
    """Lasting data is frozen where it enters the process (gcfreeze's docstring says why each):
    arXiv's answers as they are parsed, stored days as they are decoded, a ranking's analyses."""
    assert freezing_modules() == {"core.sources.arxiv.answers", "core.listings.store", "core.pipeline"}
