/* What the page does when the server refuses a callback, so that no figure of before stays on
   screen under a new label, and the rest of the page keeps working:
   - 401 (signed out in another tab, a new password, the 8-hour limit): go to the login page, which
     brings this same view back after signing in;
   - any other refusal or failure (403, 404, 429, 5xx): each panel (the card) holding an output of
     that callback says so, with the server's sentence and code, and its stale content is dimmed;
     an output on no panel (a store) is said above the tab. The next answer for that panel clears it.
   A callback that raises inside the app is answered normally, its outputs unchanged, and the
   server names them with the message in the shell's failure store (failures.callback_error);
   the clientside function below shows it the same way. */
(function () {
    if (!window.fetch || window.__sunterSessionWatch) { return; }
    window.__sunterSessionWatch = true;
    var original = window.fetch.bind(window);

    function message(status, code, said) {
        if (said) { return said + ' (' + status + (code && said.indexOf(code) < 0 ? ', kode ' + code : '') + ')'; }
        return status === 403
            ? 'Anda tidak berhak membuka bagian ini (403). Muat ulang halaman; bila berulang, minta admin memeriksa peran Anda.'
            : 'Server tidak menjawab dengan benar (status ' + status + (code ? ', kode ' + code : '') +
              '). Muat ulang halaman; bila berulang, laporkan kode ini ke admin.';
    }

    // The DOM id Dash gives a component id (a pattern-matching id: its keys sorted, as JSON).
    function domId(id) {
        if (typeof id === 'string') { return id; }
        return '{' + Object.keys(id).sort().map(function (key) {
            return JSON.stringify(key) + ':' + JSON.stringify(id[key]);
        }).join(',') + '}';
    }

    function outputIds(body) {
        var request;
        try { request = JSON.parse(body); } catch (e) { return []; }
        var outputs = request && request.outputs;
        var found = [];
        (Array.isArray(outputs) ? outputs : [outputs]).forEach(function (output) {
            (Array.isArray(output) ? output : [output]).forEach(function (one) {
                if (one && one.id !== undefined) { found.push(domId(one.id)); }
            });
        });
        return found;
    }

    function panelsOf(ids) {
        var panels = [];
        ids.forEach(function (id) {
            var element = document.getElementById(id);
            var panel = element && element.closest('.card');
            if (panel && panels.indexOf(panel) < 0) { panels.push(panel); }
        });
        return panels;
    }

    function alertNode(text) {
        var node = document.createElement('div');
        node.className = 'alert alert-danger panel-error mb-2';
        node.setAttribute('role', 'alert');
        node.textContent = text;
        return node;
    }

    function clear(panel) {
        panel.classList.remove('panel-failed');
        var body = panel.querySelector('.card-body') || panel;
        Array.prototype.forEach.call(body.querySelectorAll(':scope > .panel-error'), function (n) { n.remove(); });
    }

    // The panels may be re-rendering when the answer comes (a spinner's wrapper): look again a few
    // times before saying it above the tab.
    function refused(ids, text, tries) {
        var panels = panelsOf(ids);
        if (!panels.length && ids.length && (tries || 0) < 5) {
            window.setTimeout(function () { refused(ids, text, (tries || 0) + 1); }, 150);
            return;
        }
        panels.forEach(function (panel, index) {
            clear(panel);
            var body = panel.querySelector('.card-body') || panel;
            body.insertBefore(alertNode(index === 0 ? text : 'Gagal dimuat: ' + text), body.firstChild);
            panel.classList.add('panel-failed');
        });
        if (ids.indexOf('shell-content') >= 0 && window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props('shell-content', {children: null});  // a tab that could not open
        }
        if (!panels.length && window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props('shell-alert', {children: {
                namespace: 'dash_html_components', type: 'Div',
                props: {className: 'alert alert-danger d-flex justify-content-between align-items-center gap-2 mt-3',
                        role: 'alert', id: 'shell-error', children: [
                    {namespace: 'dash_html_components', type: 'Span', props: {children: text}},
                    {namespace: 'dash_html_components', type: 'A',
                     props: {children: 'Muat ulang halaman', href: '', className: 'btn btn-outline-danger btn-sm text-nowrap'}}
                ]}
            }});
        }
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.sunter = {
        failed: function (failure) {
            if (failure && typeof failure.error === 'string') {
                refused((failure.outputs || []).map(domId), failure.error);
            }
            return window.dash_clientside.no_update;
        }
    };

    window.fetch = function (resource, init) {
        return original(resource, init).then(function (response) {
            var url = typeof resource === 'string' ? resource : (resource && resource.url) || '';
            var path = url.replace(window.location.origin, '');
            if (response.status === 401 && path.indexOf('/_dash') === 0) {
                var here = window.location.pathname + window.location.search + window.location.hash;
                window.location.assign('/login?ended=1&next=' + encodeURIComponent(here));
                // The page is leaving: Dash's renderer never sees this answer (reading a 401 it
                // could race the navigation and report "body stream already read").
                return new Promise(function () {});
            }
            if (path.indexOf('/_dash-update-component') === 0) {
                var ids = outputIds(init && init.body);
                if (response.status >= 400) {
                    // The server's own sentence when it sent one (the API's error shape), else ours.
                    response.clone().json().catch(function () { return {}; }).then(function (body) {
                        refused(ids, message(response.status, response.headers.get('X-Request-Id'),
                                             body && typeof body.error === 'string' ? body.error : null));
                    });
                } else {
                    panelsOf(ids).forEach(function (panel) {
                        if (panel.classList.contains('panel-failed')) { clear(panel); }
                    });
                }
            }
            return response;
        });
    };
})();
