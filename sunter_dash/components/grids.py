"""AG Grid column definitions with Indonesian formats (assets/dashAgGridFunctions.js)."""
from __future__ import annotations

import dash_ag_grid as dag

FORMATS = {
    "rupiah": "rupiah(params.value)",
    "number": "idNumber(params.value, 0)",
    "percent": "percent(params.value)",
    "delta_number": "deltaNumber(params.value)",
    "delta_rupiah": "deltaRupiah(params.value)",
    "delta_points": "deltaPoints(params.value)",
}


def column(field: str, header: str, kind: str | None = None, **extra) -> dict:
    definition = {"field": field, "headerName": header, **extra}
    if kind:
        definition["valueFormatter"] = {"function": FORMATS[kind]}
        definition["type"] = "rightAligned"
        if definition.get("filter"):
            definition["filter"] = "agNumberColumnFilter"
    return definition


def grid(grid_id: str, columns: list[dict], rows: list[dict] | None = None, height: str | None = None,
         **options) -> dag.AgGrid:
    grid_options = {"localeText": {"noRowsToShow": "Belum ada data", "loadingOoo": "Memuat..."},
                    "suppressCellFocus": True, **options}
    style = {"height": height} if height else None
    if height is None:
        grid_options["domLayout"] = "autoHeight"
    return dag.AgGrid(
        id=grid_id, columnDefs=columns, rowData=rows or [],
        defaultColDef={"sortable": True, "resizable": True, "filter": False, "flex": 1, "minWidth": 90},
        dashGridOptions=grid_options, className="ag-theme-quartz", style=style,
    )
