"""The playground's data sets, features, settings and Trainer, without the server."""
import numpy as np
import pytest

from kissgrad.playground import DEFAULTS, ConfigError, Trainer, check_config
from kissgrad.playground.datasets import CLASSIFICATION, DATASETS, FEATURES, features, make_dataset, split


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_data_set_is_reproducible_and_labelled(name):
    points, labels = make_dataset(name, 101, 0.0, seed=3)
    assert points.shape == (101, 2) and labels.shape == (101,)
    again, _ = make_dataset(name, 101, 0.0, seed=3)
    other, _ = make_dataset(name, 101, 0.0, seed=4)
    assert np.array_equal(points, again) and not np.array_equal(points, other)
    if name in CLASSIFICATION:
        assert set(np.unique(labels)) == {0.0, 1.0} and abs(labels.mean() - 0.5) < 0.02
    else:
        assert labels.min() >= -1 and labels.max() <= 1 and labels.std() > 0.1
    noisy, _ = make_dataset(name, 101, 0.2, seed=3)
    assert 0.5 < np.abs(noisy - points).mean() < 1.5  # noise 0.2: sd of 1 (a fifth of radius 5)


def test_the_features_are_scaled_into_minus_one_one_and_split_keeps_both_sides():
    points = np.random.default_rng(0).uniform(-6, 6, (500, 2))
    matrix = features(points, list(FEATURES))
    assert matrix.shape == (500, 7) and matrix.dtype == np.float32
    assert np.abs(matrix).max() <= 1.0 + 1e-6
    assert np.allclose(matrix[:, 4], points[:, 0] * points[:, 1] / 36)
    train, _, test, _ = split(points, np.zeros(500), 0.999)
    assert len(train) == 499 and len(test) == 1


def test_check_config_applies_changes_and_keeps_the_defaults():
    config = check_config({"features": ["sin x2", "x1"], "batch_size": 4.0})
    assert config["features"] == ["x1", "sin x2"] and config["batch_size"] == 4
    assert type(config["batch_size"]) is int and config["lr"] == DEFAULTS["lr"]
    with pytest.raises(ConfigError, match="noise must be between 0.0 and 1.0, got 2"):
        check_config({"noise": 2})
    with pytest.raises(ConfigError, match="seed must be an integer, got True"):
        check_config({"seed": True})


def test_a_trainer_learns_and_reset_restarts_from_the_same_weights():
    trainer = Trainer({"dataset": "gaussians", "optimizer": "adam"})
    first = [layer.weight.numpy().copy() for layer in trainer.net.layers]
    start = trainer.losses()[1]
    for _ in range(20):
        assert trainer.epoch()
    assert trainer.epochs == 20 and trainer.losses()[1] < start / 4
    assert [row[0] for row in trainer.history] == list(range(21))
    trainer.reset()
    assert trainer.epochs == 0
    assert all(np.array_equal(a, layer.weight.numpy()) for a, layer in zip(first, trainer.net.layers))


def test_changing_the_learning_rate_keeps_the_run_and_a_new_network_restarts_it():
    trainer = Trainer()
    trainer.epoch()
    assert trainer.configure({"lr": 0.1}) == {"lr"}
    assert trainer.epochs == 1 and trainer.optimizer.param_groups[0]["lr"] == 0.1
    trainer.configure({"hidden": [3, 3, 3]})
    assert trainer.epochs == 0 and len(trainer.net.layers) == 4
    with pytest.raises(ConfigError):
        trainer.configure({"hidden": [3], "lr": 0})  # refused as a whole: nothing changes
    assert len(trainer.net.layers) == 4 and trainer.config["lr"] == 0.1


def test_the_snapshot_carries_the_gradients_of_the_last_step():
    trainer = Trainer({"hidden": [3]})
    assert trainer.snapshot()["edgeGrads"] is None
    trainer.epoch()
    snapshot = trainer.snapshot()
    grads = np.array(snapshot["edgeGrads"][1])
    assert grads.shape == (1, 3) and (grads >= 0).all()
    assert snapshot["layerGrads"][1] == pytest.approx(np.linalg.norm(grads), rel=1e-3)
    assert len(snapshot["neurons"]) == 3 and len(snapshot["neurons"][1]) == 3
