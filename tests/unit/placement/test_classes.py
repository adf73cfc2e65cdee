from nfvo.placement.classes import FitMemo, HostClasses, Profiles
from nfvo.vim.usage import Claim
from tests.unit.placement.builders import cell, host, view


def test_identical_fresh_hosts_share_one_class() -> None:
    capacity = view(
        *[host(f"h{i}") for i in range(50)], host("big", numa_cells=[cell(0, cores=32)])
    )
    classes = HostClasses(capacity.hosts, capacity.states, range(51), Profiles())
    assert len(classes) == 2
    signature, first = next(iter(classes))
    assert capacity.hosts[first].name == "h0"
    classes.take(signature, first)
    assert next(iter(classes))[1] == 1
    assert len(classes.members(signature)) == 49


def test_a_used_host_has_its_own_signature() -> None:
    capacity = view(host("a"), host("b"))
    capacity.states[1].pinned[0] -= 1
    assert len(HostClasses(capacity.hosts, capacity.states, range(2), Profiles())) == 2


def test_memo_remembers_refusals() -> None:
    memo = FitMemo()
    signature = (0, ())
    assert memo.get("d", signature) == (False, None)
    memo.put("d", signature, None)
    assert memo.get("d", signature) == (True, None)
    memo.put("e", signature, [Claim()])
    assert memo.get("e", signature) == (True, [Claim()])
