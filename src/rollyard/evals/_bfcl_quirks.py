"""BFCL cases that are broken or odd, found by our tests over every shipped case (bfcl-eval
2026.3.23). They are listed, not skipped: the tests assert that exactly these cases show the
problem, so the list stays honest when the data or the checkers change."""

from __future__ import annotations

REFERENCE_QUIRKS: dict[str, str] = {
    "simple_python_200": (
        "'fuel_efficiency' is required by calculate_emissions but its possible answer lists \"\" first: "
        "the call built from first values leaves it out and fails (fuel_efficiency=25.0 passes)"
    ),
    "parallel_multiple_26": (
        "the possible answer for bank.calculate_balance has a parameter 'type' (first value 'credit') that the "
        "function does not define: giving it fails as unexpected (leaving it out passes)"
    ),
    "live_simple_106-63-0": (
        "required parameters 'auto_loan_payment_start' and 'bank_hours_start' have no acceptable values ([]): "
        "no call can pass"
    ),
    "live_simple_112-68-0": (
        "required parameters 'acc_routing_start', 'atm_finder_start', 'faq_link_accounts_start', "
        "'get_balance_start' and 'get_transactions_start' have no acceptable values ([]): no call can pass"
    ),
    "live_multiple_144-56-0": (
        "'perPage' is required by get_sensor_readings_latest but its possible answer lists \"\" first: "
        "the call built from first values leaves it out and fails (perPage=100 passes)"
    ),
    "live_multiple_507-149-4": (
        "'origin_airport' is required by Flights_4_SearchOnewayFlight but its only acceptable value is \"\": "
        "no call can pass"
    ),
    "live_multiple_834-178-9": (
        "'track' is required by Music_3_PlayMedia but its possible answer lists \"\" first: "
        "the call built from first values leaves it out and fails (track='Borbena' passes)"
    ),
    "live_multiple_862-181-3": (
        "the possible answer requires 'journey_start_time', which Trains_1_FindTrains does not define: no call can pass"
    ),
    "live_multiple_964-207-0": (
        "the possible answer gives 'question', but transfer_to_human_agent's one (required) parameter is "
        "'statement': no call can pass"
    ),
}
"""Single-turn cases whose call built from the first acceptable values fails BFCL's own checker."""

OVERLAP_QUIRKS: dict[str, str] = {
    "parallel_116": (
        "the three expected calls differ only in genotype 'AA' / 'Aa' / 'aa', which BFCL's case-insensitive "
        "string comparison treats as equal: three identical calls pass"
    ),
    "parallel_178": (
        "expected call 0 accepts company_name 'Microsoft' or 'Apple' (the prompt asks for Microsoft), so the "
        "Apple call fits two expected calls; BFCL's greedy pairing fails some correct orders, our full matching "
        "passes them"
    ),
}
"""Parallel cases where one call fits several different expected calls."""

REPLAY_QUIRKS: dict[str, str] = {
    "multi_turn_base_113": (
        "turn 1's get_watchlist() is redundant to BFCL's checker: turn 0's add_to_watchlist already returned "
        "the same watchlist, so a replay without it passes"
    ),
    "multi_turn_miss_func_113": (
        "turn 2's get_watchlist() is redundant to BFCL's checker: turn 0's add_to_watchlist already returned "
        "the same watchlist, so a replay without it passes"
    ),
    "multi_turn_miss_param_113": (
        "turn 2's get_watchlist() is redundant to BFCL's checker: turn 0's add_to_watchlist already returned "
        "the same watchlist, so a replay without it passes"
    ),
}
"""Multi-turn cases whose ground truth fails its own replay, or has a call whose removal
still passes the checker. (Every ground-truth call parses; every involved class exists.)"""

EARLY_CALL_QUIRKS: dict[str, str] = {
    "multi_turn_miss_func_49": (
        "the ground truth calls tail(file_name='file3.txt') in turn 1, but tail is withheld until turn 3: "
        "a model offered BFCL's functions cannot make that call"
    ),
}
"""miss_func cases whose ground truth calls a function before BFCL offers it."""

KNOWN_QUIRKS: dict[str, str] = {**REFERENCE_QUIRKS, **OVERLAP_QUIRKS, **REPLAY_QUIRKS, **EARLY_CALL_QUIRKS}
"""Every known quirk: case id → what is wrong with it."""
