"""AG Grid column definitions with Indonesian formats (assets/dashAgGridFunctions.js) and
cell renderers (assets/dashAgGridComponentFunctions.js)."""
from __future__ import annotations

import dash_ag_grid as dag
from dash import Dash, Input, Output

FORMATS = {
    "rupiah": "rupiah(params.value)",
    "number": "idNumber(params.value, 0)",
    "percent": "percent(params.value)",
    "delta_number": "deltaNumber(params.value)",
    "delta_rupiah": "deltaRupiah(params.value)",
    "delta_points": "deltaPoints(params.value)",
    "date": "idDate(params.value)",
    "periode": "periodeShort(params.value)",
}
# Formats of text values: sorted and filtered as the text they hold ('2025-12-05', '2025-12').
TEXT_FORMATS = {"date", "periode"}


# AG Grid's own words (pager, filter menu) in Indonesian.
LOCALE = {"noRowsToShow": "Belum ada data", "loadingOoo": "Memuat...", "pageSizeSelectorLabel": "Baris per halaman:",
          "page": "Halaman", "of": "dari", "to": "–", "filterOoo": "Saring...", "contains": "Berisi",
          "notContains": "Tidak berisi", "equals": "Sama dengan", "notEqual": "Tidak sama dengan",
          "startsWith": "Diawali", "endsWith": "Diakhiri", "blank": "Kosong", "notBlank": "Tidak kosong",
          "andCondition": "DAN", "orCondition": "ATAU", "lessThan": "Kurang dari", "greaterThan": "Lebih dari",
          "inRange": "Di antara", "lessThanOrEqual": "Kurang dari atau sama dengan",
          "greaterThanOrEqual": "Lebih dari atau sama dengan"}


def column(field: str, header: str, kind: str | None = None, **extra) -> dict:
    definition = {"field": field, "headerName": header, **extra}
    if kind:
        definition["valueFormatter"] = {"function": FORMATS[kind]}
    if kind and kind not in TEXT_FORMATS:
        definition["type"] = "rightAligned"
        if definition.get("filter"):
            definition["filter"] = "agNumberColumnFilter"
    return definition


def nomen_column(field: str = "nomen", header: str = "Nomen", **extra) -> dict:
    """A NOMEN column whose cells link to the customer's profile (tab Pelanggan) without a
    page reload, keeping the page's periode and rayon."""
    return column(field, header, cellRenderer="NomenLink", **{"minWidth": 100, "flex": 0, "width": 110, **extra})


def tab_link_column(field: str, header: str, tab: str, param: str, title: str = "", **extra) -> dict:
    """A column whose cells link to ``?tab=<tab>&<param>=<value>`` (page periode and rayon
    kept) without a page reload."""
    return column(field, header, cellRenderer="TabLink",
                  cellRendererParams={"tab": tab, "param": param, "title": title}, **extra)


def grid(grid_id: str, columns: list[dict], rows: list[dict] | None = None, height: str | None = None,
         **options) -> dag.AgGrid:
    grid_options = {"suppressCellFocus": True, **options}
    grid_options["localeText"] = {**LOCALE, **options.get("localeText", {})}
    style = {"height": height} if height else None
    if height is None:
        grid_options["domLayout"] = "autoHeight"
    return dag.AgGrid(
        id=grid_id, columnDefs=columns, rowData=rows or [],
        defaultColDef={"sortable": True, "resizable": True, "filter": False, "flex": 1, "minWidth": 90},
        dashGridOptions=grid_options, className="ag-theme-quartz", style=style,
    )


def purge_on(app: Dash, grid_id: str, query_store: str, purged_store: str) -> None:
    """An infinite-row-model grid asks again from its first page (its selection cleared)
    whenever ``query_store`` changes: its cached pages belong to the old query."""
    app.clientside_callback(
        """
        async function (query) {
            const api = await dash_ag_grid.getApiAsync("%s");
            api.deselectAll();
            api.purgeInfiniteCache();
            api.paginationGoToFirstPage();
            return window.dash_clientside.no_update;
        }
        """ % grid_id,
        Output(purged_store, "data"), Input(query_store, "data"), prevent_initial_call=True,
    )
