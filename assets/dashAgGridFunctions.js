// Indonesian number formats for AG Grid cells: Rp 1.234.567, 85,12%, 1.234.
// Written out rather than left to toLocaleString, so the output never depends on
// the browser's locale data.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

function groupThousands(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

dagfuncs.idNumber = function (value, decimals) {
  if (value === null || value === undefined || value === "") return "";
  var fixed = Math.abs(Number(value)).toFixed(decimals || 0).split(".");
  var text = groupThousands(fixed[0]) + (fixed.length > 1 ? "," + fixed[1] : "");
  return (Number(value) < 0 ? "-" : "") + text;
};

dagfuncs.rupiah = function (value) {
  if (value === null || value === undefined || value === "") return "";
  return (Number(value) < 0 ? "-Rp " : "Rp ") + dagfuncs.idNumber(Math.abs(Number(value)), 0);
};

dagfuncs.percent = function (value) {
  if (value === null || value === undefined || value === "") return "";
  return dagfuncs.idNumber(value, 2) + "%";
};

// Changes carry their sign: +1.234, −0,85 poin, +Rp 12.500.
function signed(value, text) {
  if (value === null || value === undefined || value === "") return "";
  return (Number(value) > 0 ? "+" : Number(value) < 0 ? "−" : "") + text;
}
dagfuncs.deltaNumber = function (value) { return signed(value, dagfuncs.idNumber(Math.abs(value), 0)); };
dagfuncs.deltaRupiah = function (value) { return signed(value, dagfuncs.rupiah(Math.abs(value))); };
dagfuncs.deltaPoints = function (value) { return signed(value, dagfuncs.idNumber(Math.abs(value), 2) + " poin"); };

// Dates and periodes stay ISO text in the data (they sort as text) and show the
// Indonesian way: 05-12-2025, Des 2025.
dagfuncs.idDate = function (value) {
  if (!value) return "";
  var parts = String(value).slice(0, 10).split("-");
  return parts.length === 3 ? parts[2] + "-" + parts[1] + "-" + parts[0] : String(value);
};

var MONTHS_SHORT = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];
dagfuncs.periodeShort = function (value) {
  var match = /^(\d{4})-(\d{2})$/.exec(value || "");
  return match ? MONTHS_SHORT[Number(match[2]) - 1] + " " + match[1] : (value || "");
};
