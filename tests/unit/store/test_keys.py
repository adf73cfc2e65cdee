import pytest

from nfvo.store.keys import Keyspace, is_valid_id


def test_layout() -> None:
    ks = Keyspace("nfvo")
    assert ks.document("vnf_package", "abc") == "nfvo:doc:vnf_package:abc"
    assert ks.index("vnf_package", "owner", "tenant-a") == "nfvo:idx:vnf_package:owner:tenant-a"
    assert ks.ordering("vnf_package") == "nfvo:ord:vnf_package"
    assert ks.stream("lcm-events") == "nfvo:stream:lcm-events"
    assert ks.lock("ns_instance", "n1") == "nfvo:lock:ns_instance:n1"
    assert ks.lease("jobs", "j1") == "nfvo:lease:jobs:j1"
    assert ks.pattern() == "nfvo:*"


def test_index_values_cannot_split_a_key() -> None:
    ks = Keyspace()
    assert ks.index("k", "name", "a:b") != ks.index("k", "name", "a") + ":b"
    assert ks.index("k", "name", "a:b").endswith("a\\:b")


@pytest.mark.parametrize("bad", ["", "a:b", "a b", "../x", "x*"])
def test_ids_and_kinds_are_checked(bad: str) -> None:
    ks = Keyspace()
    with pytest.raises(ValueError, match="may hold only"):
        ks.document("kind", bad)
    with pytest.raises(ValueError, match="may hold only"):
        ks.document(bad, "id")
    assert not is_valid_id(bad)


def test_issued_ids_are_valid() -> None:
    assert is_valid_id("3f2c9a7e-1b2d-4c5e-8f90-a1b2c3d4e5f6")
    assert not is_valid_id("\U00051237")


def test_job_keys() -> None:
    ks = Keyspace("nfvo")
    assert ks.job("j1") == "nfvo:job:j1"
    assert ks.steps("j1") == "nfvo:steps:j1"
    assert ks.counter("fencing") == "nfvo:seq:fencing"
    key = ks.idempotency("jobs", "ns-1/instantiate: any text *")
    assert key.startswith("nfvo:idem:jobs:") and len(key.rsplit(":", 1)[1]) == 64
    assert key != ks.idempotency("jobs", "ns-2/instantiate")
    with pytest.raises(ValueError, match="may hold only"):
        ks.job("a:b")
