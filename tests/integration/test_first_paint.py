"""The shell's first paint: the layout carries the tab and filters the page's address asks for."""
from __future__ import annotations

from sunter_dash.ingest import ingest_file


def test_the_first_paint_shows_the_view_the_address_asks_for(client, engine, users, log_in, tmp_path):
    """The layout itself carries the address's tab and filters (from the page's Referer), so a
    shared link does not open on the wrong tab while the callbacks answer."""
    for periode in ("2025-11", "2025-12"):
        path = tmp_path / f"MC_{periode}.csv"
        path.write_text("NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;140000\n60000002;351010102;90000\n",
                        encoding="utf-8")
        ingest_file(engine, path)
    log_in(client, *users["viewer"])
    page = client.get("/_dash-layout", headers={"Referer": "http://localhost/?periode=2025-11&rayon=35&tab=tren"})
    text = page.get_data(as_text=True).replace(" ", "")
    assert '"active_tab":"tren"' in text and '"value":"2025-11"' in text and '"value":"35"' in text
    # Without an address (or an unknown tab) the defaults: the first tab and the newest periode.
    text = client.get("/_dash-layout", headers={"Referer": "http://localhost/?tab=users"}).get_data(as_text=True)
    text = text.replace(" ", "")
    assert '"active_tab":"ringkasan"' in text and '"value":"2025-12"' in text
