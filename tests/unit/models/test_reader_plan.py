"""The training plan: every step's batch follows from the seed alone (so a resumed run
trains exactly the batches an uninterrupted one would)."""

from __future__ import annotations

from assistant.models.reader_training import TrainConfig, plan

LENGTHS = [(i * 37) % 200 + 10 for i in range(1000)]


def test_the_plan_is_fixed_by_the_seed() -> None:
    config = TrainConfig(seed=13, epochs=1.5, batch_size=16)
    assert plan(LENGTHS, config) == plan(LENGTHS, config)
    assert plan(LENGTHS, config) != plan(LENGTHS, TrainConfig(seed=14, epochs=1.5))


def test_each_epoch_sees_every_example_once() -> None:
    steps = plan(LENGTHS, TrainConfig(epochs=1.0, batch_size=16))
    seen = sorted(i for batch in steps for i in batch)
    assert seen == list(range(len(LENGTHS)))


def test_a_fraction_of_an_epoch_and_length_sorted_batches() -> None:
    steps = plan(LENGTHS, TrainConfig(epochs=0.4, batch_size=16))
    assert sum(len(b) for b in steps) == 400
    spread = [max(LENGTHS[i] for i in b) - min(LENGTHS[i] for i in b) for b in steps]
    assert sorted(spread)[len(spread) // 2] < 20  # little padding in a typical batch
