"""The sandbox's simulated conversation and figures: comments since a cursor, reply, hide, delete, metrics."""

import time
import uuid
from collections import Counter

import pytest

from parvis.domain.moderation import classify
from parvis.networks import errors
from parvis.networks.sandbox import server as sim
from parvis.networks.sandbox.connector import SandboxConnector
from parvis.networks.types import Credentials, PostRequest


def connector(sandbox, network="facebook", handle=None):
    return SandboxConnector(network, Credentials(handle or f"@ville-{uuid.uuid4().hex[:6]}", {"token": "t"}),
                            base_url=sandbox.url, timeout=5.0)


def publish(c, text="Marché de Noël samedi sur la place") -> str:
    return c.publish(PostRequest(text, uuid.uuid4().hex)).remote_id


def read_all(c, cursor=None, post_ids=()):
    seen = []
    while True:
        page = c.fetch_comments(cursor=cursor, post_ids=post_ids)
        seen += page.comments
        if not page.comments:
            return seen, page.cursor
        cursor = page.cursor


# --- the generator (pure) ------------------------------------------------------------------------------------


def test_the_conversation_is_deterministic_per_seed_network_and_post():
    assert sim.simulated_comments(7, "facebook", 12) == sim.simulated_comments(7, "facebook", 12)
    assert sim.simulated_comments(7, "facebook", 12) != sim.simulated_comments(8, "facebook", 12)
    assert sim.simulated_comments(7, "facebook", 12) != sim.simulated_comments(7, "facebook", 13)


def test_facebook_gets_more_comments_than_mastodon_and_most_come_the_first_day():
    fb = [c for p in range(200) for c in sim.simulated_comments(1, "facebook", p)]
    masto = [c for p in range(200) for c in sim.simulated_comments(1, "mastodon", p)]
    assert len(fb) > 4 * len(masto)
    first_day = sum(c.offset_s <= sim.DAY_S for c in fb) / len(fb)
    assert 0.85 < first_day < 1.0
    assert max(c.offset_s for c in fb) <= sim.CONVERSATION_MAX_S


def test_the_mix_has_every_kind_of_comment_and_the_classifier_recognises_the_harmful_ones():
    comments = [c for p in range(300) for c in sim.simulated_comments(3, "facebook", p)]
    themes = Counter(c.theme for c in comments)
    assert {"question", "complaint", "thanks", "insult", "spam", "personal_data", "hate", "threat",
            "electoral", "criticism"} <= set(themes)
    assert themes["question"] > themes["hate"] * 5  # harmful comments are a minority
    kinds = Counter(c.kind for c in comments)
    assert kinds["reply"] and kinds["mention"] and kinds["comment"] > kinds["reply"]
    for c in comments:
        if c.parent_rank is not None:
            assert c.parent_rank < c.rank and c.text.startswith("@")
    hidden = {"hate", "threat", "spam", "personal_data"}
    for c in comments:
        labels = set(classify(c.text).labels)
        if c.theme in hidden:
            assert labels & hidden, c.text
        if c.theme in ("criticism", "thanks", "question"):  # harsh criticism is never a hide label
            assert not labels & hidden, c.text
    # People come back: the same author under several posts.
    assert Counter(c.author_id for c in comments).most_common(1)[0][1] > 1


def test_audience_follows_the_time_of_day():
    assert sim.hour_weight(4) < sim.hour_weight(9) < sim.hour_weight(20)
    assert sim.hour_weight(3) < sim.hour_weight(12.5)


def test_followers_grow_slowly_and_post_figures_grow_over_the_first_days():
    now = 1_760_000_000.0
    f0, f30 = sim.followers("facebook", "ville", now), sim.followers("facebook", "ville", now + 30 * sim.DAY_S)
    assert f0 < f30 < f0 * 1.05
    ages = [0, 3600, 6 * 3600, sim.DAY_S, 3 * sim.DAY_S, 10 * sim.DAY_S]
    views = [sim.post_metrics("facebook", "ville", 5, a, 0, now)["views"] for a in ages]
    assert views == sorted(views) and views[0] == 0 and views[-1] > 0
    assert views[-1] - views[-2] < views[2] - views[1]  # growth slows down after the first days


# --- over HTTP -----------------------------------------------------------------------------------------------


def test_comments_appear_over_time_and_the_cursor_gives_only_the_new_ones(sandbox):
    c = connector(sandbox)
    post = publish(c)
    sandbox.configure(conversation_speed=1.0)
    page = c.fetch_comments()
    assert len(page.comments) <= 1  # a real-time conversation has barely started
    sandbox.configure(conversation_speed=1_000_000_000)  # a week of conversation in a millisecond
    everything, cursor = read_all(c)
    assert len(everything) == len(sim.simulated_comments(0, "facebook", int(post)))
    assert len({x.remote_id for x in everything}) == len(everything)
    assert [x.created_at for x in everything] == sorted(x.created_at for x in everything)
    assert all(x.created_at.tzinfo is not None and x.author_id and x.text for x in everything)
    assert c.fetch_comments(cursor=cursor).comments == ()  # nothing new since
    assert c.fetch_comments(cursor=cursor).cursor == cursor
    post2 = publish(c, "Fermeture de la piscine lundi")
    time.sleep(0.2)  # let the simulated week of conversation pass
    newer, _ = read_all(c, cursor)
    assert newer and {x.post_remote_id for x in newer} <= {post2, ""}
    mine, _ = read_all(c, post_ids=(post2,))
    assert {x.remote_id for x in mine} == {x.remote_id for x in newer}


def test_pages_are_bounded_and_do_not_overlap(sandbox):
    sandbox.configure(conversation_speed=1_000_000_000)
    c = connector(sandbox)
    for _ in range(4):
        publish(c)
    time.sleep(0.2)
    c.page_size = 7
    everything, _ = read_all(c)
    assert len(everything) > 7
    assert len({x.remote_id for x in everything}) == len(everything)


def test_another_account_does_not_see_these_comments(sandbox):
    sandbox.configure(conversation_speed=1_000_000_000)
    publish(connector(sandbox, handle="@a-ville"))
    assert connector(sandbox, handle=f"@autre-{uuid.uuid4().hex}").fetch_comments().comments == ()


def test_hide_unhide_delete(sandbox):
    sandbox.configure(conversation_speed=1_000_000_000)
    c = connector(sandbox)
    publish(c)
    first = read_all(c)[0][0]
    c.hide_comment(first.remote_id)
    assert next(x for x in read_all(c)[0] if x.remote_id == first.remote_id).hidden is True
    c.hide_comment(first.remote_id, hidden=False)
    assert next(x for x in read_all(c)[0] if x.remote_id == first.remote_id).hidden is False
    c.delete_comment(first.remote_id)
    assert first.remote_id not in {x.remote_id for x in read_all(c)[0]}
    c.delete_comment(first.remote_id)  # already gone: no error
    with pytest.raises(errors.Permanent):
        c.hide_comment(first.remote_id)  # a deleted comment cannot be hidden
    with pytest.raises(errors.Permanent):
        c.hide_comment("c999999999-0")


def test_reply_once_per_marker(sandbox):
    sandbox.configure(conversation_speed=1_000_000_000)
    c = connector(sandbox)
    publish(c)
    first = read_all(c)[0][0]
    m = uuid.uuid4().hex
    result = c.reply(first.remote_id, "Bonjour, la piscine ouvre à 9 h.", marker=m)
    assert result.remote_id.startswith("r") and result.url
    with pytest.raises(errors.Duplicate) as info:
        c.reply(first.remote_id, "Bonjour, la piscine ouvre à 9 h.", marker=m)
    assert info.value.remote_id == result.remote_id
    with sandbox.admin() as admin:
        replies = [r for r in admin.get("/_sandbox/replies").json()["replies"] if r["marker"] == m]
    assert replies == [{"id": result.remote_id, "network": "facebook", "handle": c.credentials.handle,
                        "to_id": first.remote_id, "text": "Bonjour, la piscine ouvre à 9 h.", "marker": m}]
    with pytest.raises(errors.Permanent):
        c.reply("c999999999-0", "Bonjour", marker=uuid.uuid4().hex)
    with pytest.raises(errors.ContentRejected) as rejected:  # a reply follows the network's length limit
        c.reply(first.remote_id, "x" * 63_207, marker=uuid.uuid4().hex)
    assert "63207" in str(rejected.value) or "63 207" in str(rejected.value)


def test_account_and_post_metrics(sandbox):
    c = connector(sandbox)
    post = publish(c)
    account = c.account_metrics().values
    assert set(account) == {"followers", "views", "reach", "impressions", "interactions"}
    assert account["followers"] > 0 and account["reach"] <= account["views"] <= account["impressions"]
    sandbox.configure(conversation_speed=1.0)
    young = c.post_metrics(post).values
    sandbox.configure(conversation_speed=1_000_000_000)
    old = c.post_metrics(post).values
    assert young["views"] < old["views"]
    assert old["comments"] == len(read_all(c, post_ids=(post,))[0])
    with pytest.raises(errors.Permanent):
        c.post_metrics("999999999")


def test_conversation_faults_are_typed(sandbox):
    c = connector(sandbox)
    sandbox.configure(fault_rates={"rate_limit": 1.0}, rate_limit_retry_after_s=30)
    with pytest.raises(errors.RateLimited) as info:
        c.fetch_comments()
    assert info.value.retry_after_s == 30
    sandbox.configure(reset=True)
    with pytest.raises(errors.Permanent):
        c.fetch_comments(cursor="pas-un-curseur")
    with pytest.raises(errors.AuthExpired):
        SandboxConnector("x", Credentials("@v", {"token": "revoked-1"}), base_url=sandbox.url).fetch_comments()


def test_conversation_speed_must_be_positive(sandbox):
    with sandbox.admin() as admin:
        response = admin.post("/_sandbox/config", json={"conversation_speed": 0})
    assert response.status_code == 400 and "conversation_speed" in response.json()["error"]["message"]
