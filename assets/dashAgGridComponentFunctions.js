// Cell renderers for AG Grid (dash-ag-grid's "custom components"), used by name in a
// column's cellRenderer: nomen_column() and tab_link_column() in sunter_dash/components/grids.py.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

// An address of this page: its periode and rayon, then tab=<tab>&<param>=<value>.
function tabHref(tab, param, value) {
  var current = new URLSearchParams(window.location.search);
  var next = new URLSearchParams();
  ["periode", "rayon"].forEach(function (key) {
    if (current.get(key)) next.set(key, current.get(key));
  });
  next.set("tab", tab);
  next.set(param, value);
  return window.location.pathname + "?" + next.toString();
}

// A link to another tab's view of the cell's value. A plain click navigates the way
// dcc.Link does (history.pushState, then the event dcc.Location listens to), so the page
// is not reloaded; a click with a modifier key or the middle button opens it as a link.
function tabLink(value, tab, param, title, className) {
  if (value === null || value === undefined || value === "") return null;
  var text = String(value);
  return React.createElement("a", {
    href: tabHref(tab, param, text),
    className: className,
    title: title,
    onClick: function (event) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      // The filters may have changed since the cell was drawn: read them at the click.
      window.history.pushState({}, "", tabHref(tab, param, text));
      window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
      window.scrollTo(0, 0);
    },
  }, text);
}

// NOMEN as a link to the customer's profile (tab Pelanggan).
dagcomponentfuncs.NomenLink = function (props) {
  return tabLink(props.value, "pelanggan", "nomen", "Buka profil pelanggan " + props.value, "nomen-link");
};

// The value as a link to tab=props.tab with props.param=value (cellRendererParams).
dagcomponentfuncs.TabLink = function (props) {
  return tabLink(props.value, props.tab, props.param, props.title || "", "tab-link");
};
