import responses

from etl import extract


@responses.activate
def test_candidates_paginates():
    responses.add(responses.GET, "https://harvest.greenhouse.io/v1/candidates", json=[{"id": 1}])
    responses.add(responses.GET, "https://harvest.greenhouse.io/v1/candidates", json=[])
    assert [c["id"] for c in extract.candidates()] == [1]


def test_counts_uses_plain_dicts():
    assert extract.counts([{"jobs": [1, 2]}]) == {"jobs": 2}
