from tests.api.test_form_layouts import *  # noqa


def test_scratch(backend: Backend, ledger: Ledger, clock: Clock) -> None:
    child = through_three_grades(ledger, clock)
    f = forms(backend, ledger)
    import json
    for name, doc in (("health_card", f.health_card(child)), ("dental_card", f.dental_card(child)),
                      ("cumulative_record", f.cumulative_record(child))):
        open(f"/tmp/layouts/{name}.json", "w").write(json.dumps(doc, ensure_ascii=False, default=str))

