"""Request ids: version 4 UUIDs as text, unique, and never repeated by a forked process."""

import os
import uuid

from api.security.context import RequestIds


def test_ids_are_version_4_uuids_in_their_canonical_text_and_unique():
    ids = RequestIds()
    made = [ids() for _ in range(50_000)]  # ~195 reads of the random source
    assert len(set(made)) == len(made)
    for value in made[:2_000] + made[-2_000:]:
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, value)


def test_a_forked_process_does_not_repeat_the_ids_its_parent_had_read_ahead():
    ids = RequestIds()
    ids()  # the parent has read ahead 255 more ids
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.close(reader)
        os.write(writer, ",".join(ids() for _ in range(10)).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        child = pipe.read().split(",")
    os.waitpid(pid, 0)
    parent = [ids() for _ in range(10)]
    assert len(child) == 10 and not set(child) & set(parent)


def test_threads_never_get_the_same_id():
    from concurrent.futures import ThreadPoolExecutor

    ids = RequestIds()
    with ThreadPoolExecutor(8) as pool:
        made = [i for batch in pool.map(lambda _: [ids() for _ in range(5_000)], range(8)) for i in batch]
    assert len(set(made)) == len(made) == 40_000
