/* On a narrow screen the tabs are one row that scrolls sideways (10-sunter.css): keep the
   active tab in view, also when a shared link opens a tab far along the row. */
(function () {
    function reveal(row) {
        var active = row.querySelector('.nav-link.active');
        if (!active || row.scrollWidth <= row.clientWidth) { return; }
        var left = active.offsetLeft - row.offsetLeft;
        if (left < row.scrollLeft || left + active.offsetWidth > row.scrollLeft + row.clientWidth) {
            row.scrollLeft = Math.max(0, left - 16);
        }
    }

    function watch(row) {
        new MutationObserver(function () { reveal(row); })
            .observe(row, {subtree: true, attributes: true, attributeFilter: ['class']});
        reveal(row);
    }

    // The shell is drawn by Dash after the page loads: wait for the tab row, then watch only it.
    var waiting = new MutationObserver(function () {
        var row = document.getElementById('shell-tabs');
        if (row) { waiting.disconnect(); watch(row); }
    });
    waiting.observe(document.documentElement, {childList: true, subtree: true});
})();
