/* The shell's tabs. On a narrow screen they are one row that scrolls sideways (10-sunter.css):
   keep the active tab in view, also when a shared link opens a tab far along the row. Each tab
   controls the one content panel (#shell-content): react-bootstrap names a tab pane that is
   never drawn, an ARIA reference to nothing. And the tabs work by keyboard (below). */
(function () {
    function reveal(row) {
        var active = row.querySelector('.nav-link.active');
        if (!active || row.scrollWidth <= row.clientWidth) { return; }
        var left = active.offsetLeft - row.offsetLeft;
        if (left < row.scrollLeft || left + active.offsetWidth > row.scrollLeft + row.clientWidth) {
            row.scrollLeft = Math.max(0, left - 16);
        }
    }

    function tabs(row) { return Array.prototype.slice.call(row.querySelectorAll('[role="tab"]')); }

    function set(element, name, value) {
        if (element.getAttribute(name) !== value) { element.setAttribute(name, value); }
    }

    // dash-bootstrap-components gives every tab the same id and tabindex -1, so the keyboard
    // could not reach them: the active tab takes the Tab key's stop (a roving tabindex, as the
    // WAI-ARIA tabs pattern has it), each gets an id of its own and says it is selected.
    function point(row) {
        tabs(row).forEach(function (tab, index) {
            var active = tab.classList.contains('active');
            set(tab, 'aria-controls', 'shell-content');
            set(tab, 'id', 'shell-tab-' + (index + 1));
            set(tab, 'tabindex', active ? '0' : '-1');
            set(tab, 'aria-selected', active ? 'true' : 'false');
        });
    }

    // The arrow keys, Home and End move along the tabs; Enter or Space opens the focused one.
    function keys(row) {
        row.addEventListener('keydown', function (event) {
            var all = tabs(row), at = all.indexOf(document.activeElement), next = null;
            if (at < 0) { return; }
            if (event.key === 'ArrowRight') { next = all[(at + 1) % all.length]; }
            else if (event.key === 'ArrowLeft') { next = all[(at - 1 + all.length) % all.length]; }
            else if (event.key === 'Home') { next = all[0]; }
            else if (event.key === 'End') { next = all[all.length - 1]; }
            else if (event.key === ' ' || event.key === 'Enter') { event.preventDefault(); all[at].click(); return; }
            if (next) { event.preventDefault(); next.focus(); }
        });
    }

    function watch(row) {
        new MutationObserver(function () { point(row); reveal(row); })
            .observe(row, {subtree: true, childList: true, attributes: true,
                           attributeFilter: ['class', 'aria-controls', 'tabindex', 'id']});
        keys(row);
        point(row);
        reveal(row);
    }

    // The shell is drawn by Dash after the page loads: wait for the tab row, then watch only it.
    var waiting = new MutationObserver(function () {
        var row = document.getElementById('shell-tabs');
        if (row) { waiting.disconnect(); watch(row); }
    });
    waiting.observe(document.documentElement, {childList: true, subtree: true});
})();
