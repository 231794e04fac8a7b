"""Which profile is active, and when?"""

import pytest

from reglab.profiles import PROFILES, active_profile


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_is_chosen_by_the_environment_variable(monkeypatch, name):
    """Does REGLAB_PROFILE pick the profile, whatever its case and spacing?"""
    monkeypatch.setenv("REGLAB_PROFILE", f" {name.upper()} ")
    assert active_profile() is PROFILES[name]


def test_default_profile_is_quick(monkeypatch):
    """Does a student who sets nothing get the laptop-sized profile?"""
    monkeypatch.delenv("REGLAB_PROFILE")
    assert active_profile().name == "quick"


@pytest.mark.parametrize("requested", ["full", "quick", "tiny"])
def test_nbgrader_execution_always_means_tiny(monkeypatch, requested):
    """Is the profile tiny whenever nbgrader executes the notebook, whatever else is set?"""
    monkeypatch.setenv("REGLAB_PROFILE", requested)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert active_profile().name == "tiny"


def test_unknown_profile_names_the_valid_ones(monkeypatch):
    """Is a misspelt profile an error that lists the valid choices?"""
    monkeypatch.setenv("REGLAB_PROFILE", "fast")
    with pytest.raises(ValueError, match="full, quick, tiny"):
        active_profile()


def test_profiles_keep_the_seed_settings_in_full_and_stay_offline_in_tiny():
    """Does full use the seed's 150 epochs on all data, and tiny only the kit's own data?"""
    full, tiny = PROFILES["full"], PROFILES["tiny"]
    assert (full.n_train, full.n_validation, full.epochs, full.synthetic_data) == (None, None, 150, False)
    assert tiny.synthetic_data and tiny.n_train <= 1000


def test_description_names_profile_sizes_and_how_to_change_it():
    """Does the printed description say what the profile uses and how to choose another?"""
    text = PROFILES["quick"].describe()
    assert "Profile 'quick'" in text and "6,000 training" in text and "REGLAB_PROFILE=full|quick|tiny" in text
