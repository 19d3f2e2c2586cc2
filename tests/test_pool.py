"""The pool behind large output arrays (csrc/bindings/pool.cpp): np.empty semantics,
memory reused only after its last user is gone, bounded."""
import numpy as np
import pytest

from maskcore import _core

BIG = (2048, 2048)  # 16 MiB of int32: pooled
SANITIZED = bool(_core.sanitize)  # sanitizer builds free every block


@pytest.fixture(autouse=True)
def empty_pool():
    _core.pool_release()  # the other tests' blocks would make reuse depend on their order
    yield
    _core.pool_release()
    assert _core.pool_kept_bytes() == 0


def test_small_arrays_are_plain_numpy():
    a = _core.pooled_empty(np.uint8, (3, 4))
    assert a.shape == (3, 4) and a.dtype == np.uint8 and a.flags.owndata
    assert _core.pooled_empty(np.int32, (0, 5)).shape == (0, 5)


def test_large_arrays_are_c_ordered_writable_and_independent():
    a = _core.pooled_empty(np.int32, BIG)
    b = _core.pooled_empty("int32", BIG)
    assert a.shape == BIG and a.dtype == np.int32 and a.flags.c_contiguous and a.flags.writeable
    a.fill(1)
    b.fill(2)
    assert (a == 1).all() and (b == 2).all()
    assert a.ctypes.data != b.ctypes.data


@pytest.mark.skipif(SANITIZED, reason="sanitizer builds free every block")
def test_memory_is_reused_after_the_last_view_is_gone():
    a = _core.pooled_empty(np.int32, BIG)
    p = a.ctypes.data
    v = a[::2]
    del a
    b = _core.pooled_empty(np.int32, BIG)  # `v` still uses the block
    assert b.ctypes.data != p
    v[0, 0] = 7  # and may still write it
    del v  # the block goes back to the pool
    assert _core.pool_kept_bytes() == 16 << 20
    c = _core.pooled_empty(np.int16, (2 * BIG[0], BIG[1]))  # same bytes, another dtype
    assert c.ctypes.data == p and _core.pool_kept_bytes() == 0
    del b, c


@pytest.mark.skipif(SANITIZED, reason="sanitizer builds free every block")
def test_blocks_are_reused_only_for_similar_sizes_and_the_pool_is_bounded():
    big = _core.pooled_empty(np.uint8, (64 << 20,))
    p = big.ctypes.data
    del big
    small = _core.pooled_empty(np.uint8, (16 << 20,))  # a quarter: not given the 64 MiB block
    assert small.ctypes.data != p
    del small
    arrays = [_core.pooled_empty(np.uint8, ((40 + i) << 20,)) for i in range(10)]
    del arrays
    assert _core.pool_kept_bytes() <= 256 << 20


def test_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        _core.pooled_empty(np.int32, (-1, 5))
    with pytest.raises(MemoryError):
        _core.pooled_empty(np.int64, (1 << 40, 1 << 40))


@pytest.mark.skipif(SANITIZED or not hasattr(__import__("os"), "fork"), reason="needs fork() and a keeping pool")
def test_a_forked_child_starts_a_fresh_pool():
    """The parent's pool (and its lock, which another thread may hold at the fork) stays
    behind: the child starts empty, allocates, and gives back its own and inherited arrays."""
    import os

    inherited = _core.pooled_empty(np.int32, BIG)
    dropped = _core.pooled_empty(np.int32, BIG)
    del dropped
    assert _core.pool_kept_bytes() == 16 << 20
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        ok = _core.pool_kept_bytes() == 0
        a = _core.pooled_empty(np.int32, BIG)
        a.fill(5)
        ok = ok and bool((a == 5).all())
        del a
        ok = ok and _core.pool_kept_bytes() == 16 << 20
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _core.pool_kept_bytes() == 16 << 20  # the parent's pool is untouched
    del inherited
