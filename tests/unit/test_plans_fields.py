"""The edges of a plan's fields: what an admin may set, and what a stored item without the optional
attributes reads back as. Each bound is checked on both sides."""

from __future__ import annotations

from decimal import Decimal

import pytest
from token_profiler import plans
from token_profiler.errors import BadRequest

pytestmark = pytest.mark.unit

BASE = plans.Plan()


@pytest.mark.parametrize("name", ["requests_per_minute", "tokens_per_minute"])
def test_a_per_minute_limit_takes_zero_and_the_maximum_and_nothing_outside(name):
    assert getattr(plans.apply_changes(BASE, {name: 0}), name) == 0  # 0: no limit
    assert getattr(plans.apply_changes(BASE, {name: 10**12}), name) == 10**12
    for bad in (-1, 10**12 + 1, 1.0, True, "5"):
        with pytest.raises(BadRequest, match=f"^{name} must be an integer between 0 \\(no limit\\) and"):
            plans.apply_changes(BASE, {name: bad})


def test_thresholds_take_1_to_1000_and_at_most_20_of_them():
    assert plans.apply_changes(BASE, {"alert_thresholds": [1000, 1]}).alert_thresholds == (1, 1000)
    for bad in ([0], [1001], [50, 0]):
        with pytest.raises(BadRequest, match="^alert_thresholds must be a list of whole percentages"):
            plans.apply_changes(BASE, {"alert_thresholds": bad})
    twenty = list(range(5, 105, 5))
    assert plans.apply_changes(BASE, {"alert_thresholds": twenty}).alert_thresholds == tuple(twenty)
    with pytest.raises(BadRequest) as refused:
        plans.apply_changes(BASE, {"alert_thresholds": [*twenty, 1]})
    assert refused.value.message == "alert_thresholds holds at most 20 percentages"


def test_models_take_at_most_200_ids_kept_once_in_order():
    ids = [f"vendor.model-{n}-v1:0" for n in range(200)]
    assert plans.apply_changes(BASE, {"models": [*ids[:2], ids[0]]}).models == (ids[0], ids[1])
    assert plans.apply_changes(BASE, {"models": ids}).models == tuple(ids)
    with pytest.raises(BadRequest) as refused:
        plans.apply_changes(BASE, {"models": [*ids, "vendor.one-more-v1:0"]})
    assert refused.value.message == "models holds at most 200 model ids"
    with pytest.raises(BadRequest) as refused:
        plans.apply_changes(BASE, {"models": "vendor.model-1-v1:0"})
    assert refused.value.message == "models must be a list of model ids (empty: every model)"


def test_unknown_fields_and_a_non_boolean_hard_are_named():
    with pytest.raises(BadRequest) as refused:
        plans.apply_changes(BASE, {"zeta": 1, "alpha": 2})
    assert refused.value.message == "unknown plan field(s): alpha, zeta"
    with pytest.raises(BadRequest) as refused:
        plans.apply_changes(BASE, {"hard": "yes"})
    assert refused.value.message == "hard must be true or false"


def test_a_stored_plan_without_its_optional_attributes_reads_as_a_hard_unlimited_plan():
    plan = plans.plan_from_item({"pk": {"S": "t1"}, "sk": {"S": "plan"}})
    assert plan == plans.Plan(
        monthly_budget_usd=None,
        hard=True,
        alert_thresholds=(),
        requests_per_minute=0,
        tokens_per_minute=0,
        models=(),
    )
    stored = plans.plan_from_item(
        {
            "monthly_budget_usd": {"S": "12.5"},
            "hard": {"BOOL": False},
            "alert_thresholds": {"L": [{"N": "50"}, {"N": "90"}]},
            "requests_per_minute": {"N": "7"},
            "tokens_per_minute": {"N": "9000"},
            "models": {"L": [{"S": "vendor.model-1-v1:0"}]},
        }
    )
    assert stored.to_dict() == {
        "monthly_budget_usd": "12.5",
        "hard": False,
        "alert_thresholds": [50, 90],
        "requests_per_minute": 7,
        "tokens_per_minute": 9000,
        "models": ["vendor.model-1-v1:0"],
    }
    assert stored.monthly_budget_usd == Decimal("12.5")
