"""The Unggah page's formats card: each file type's columns (the export's name, the other names
read as it, whether it is required) and an example file to download. Everything shown comes from
the catalogue of types (domain/files.py), so a new type appears here by itself."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, ctx, dcc, html, no_update

from ..components.forms import heading
from ..demo.examples import example
from ..domain import files

FORMATS = "upload-formats"
EXAMPLE = "upload-example"
EXAMPLE_DOWNLOAD = "upload-example-download"


def required_text(spec: files.FileSpec) -> str:
    """'Wajib: NOMEN, NOMINAL' or, when any of several sets will do, 'Wajib salah satu: (..) atau (..)'."""
    sets = [", ".join(spec.headers_of(fields)) for fields in spec.required]
    return f"Wajib: {sets[0]}." if len(sets) == 1 else "Wajib salah satu: " + " atau ".join(f"({s})" for s in sets) + "."


def _columns(spec: files.FileSpec) -> dbc.Table:
    always = frozenset.intersection(*spec.required) if spec.required else frozenset()
    sometimes = spec.required_fields - always
    rows = [html.Tr([html.Td(c.header, className="fw-semibold"), html.Td(", ".join(c.aliases) or "—"),
                     html.Td("wajib" if c.field in always else "salah satu" if c.field in sometimes else "opsional")])
            for c in spec.columns]
    return dbc.Table([html.Thead(html.Tr([html.Th("Kolom"), html.Th("Juga dibaca dari"), html.Th("Perlu")])),
                      html.Tbody(rows)], size="sm", bordered=False, striped=True, className="mb-2")


def _item(spec: files.FileSpec) -> dbc.AccordionItem:
    found = example(spec.name)
    body = [html.Div(required_text(spec), className="small mb-2"),
            html.Div(_columns(spec), className="table-responsive")]
    if found:
        body.append(dbc.Button([html.I(className="bi bi-download me-1"), f"Unduh contoh {spec.name} ({found[0]})"],
                               id={"type": EXAMPLE, "file_type": spec.name}, color="light", size="sm",
                               className="export-btn text-break"))
    return dbc.AccordionItem(body, title=f"{spec.name}: {spec.label}")


def formats_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        heading("Format file yang diterima", "Kolom tiap tipe file, dengan nama lain yang juga dikenali; nama kolom "
                "tidak membedakan huruf besar dan kecil. Kolom dengan nama lain dapat dipilih di Kolom file."),
        dbc.Accordion([_item(spec) for spec in files.specs()], start_collapsed=True, always_open=True),
        dcc.Download(id=EXAMPLE_DOWNLOAD),
    ]), id=FORMATS, className="mt-3")


def register_formats(app: Dash) -> None:
    @app.callback(Output(EXAMPLE_DOWNLOAD, "data"), Input({"type": EXAMPLE, "file_type": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def download_example(_clicks):
        if not ctx.triggered or not ctx.triggered[0]["value"] or not isinstance(ctx.triggered_id, dict):
            return no_update
        found = example(str(ctx.triggered_id.get("file_type")))
        return dcc.send_bytes(found[1], found[0]) if found else no_update
