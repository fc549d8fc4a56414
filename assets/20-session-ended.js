/* What the page does when the server refuses its callbacks, so that no figure of before stays on
   screen under a new label:
   - 401 (signed out in another tab, a new password, the 8-hour limit): go to the login page, which
     brings this same view back after signing in;
   - 403, 429 or 5xx (a job refused, a proxy or server failure): the panel is replaced by a message
     that says what happened and what to do (the server's sentence when it sent one).
   A callback that raises inside the app is answered by the server itself (failures.callback_error). */
(function () {
    if (!window.fetch || window.__sunterSessionWatch) { return; }
    window.__sunterSessionWatch = true;
    var original = window.fetch.bind(window);

    function refused(status, code, said) {
        var text = said ? said + ' (' + status + (code ? ', kode ' + code : '') + ')' : status === 403
            ? 'Anda tidak berhak membuka bagian ini (403). Muat ulang halaman; bila berulang, minta admin memeriksa peran Anda.'
            : 'Server tidak menjawab dengan benar (status ' + status + (code ? ', kode ' + code : '') +
              '). Muat ulang halaman; bila berulang, laporkan kode ini ke admin.';
        if (!window.dash_clientside || !window.dash_clientside.set_props) { return; }
        window.dash_clientside.set_props('shell-content', {children: {
            namespace: 'dash_html_components', type: 'Div', props: {children: [
                {namespace: 'dash_html_components', type: 'Div',
                 props: {children: text, className: 'alert alert-danger', role: 'alert', id: 'shell-error'}},
                {namespace: 'dash_html_components', type: 'A',
                 props: {children: 'Muat ulang halaman', href: '', className: 'btn btn-outline-primary btn-sm'}}
            ]}
        }});
    }

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
            } else if (path.indexOf('/_dash-update-component') === 0 &&
                       (response.status === 403 || response.status === 429 || response.status >= 500)) {
                // The server's own sentence when it sent one (the API's error shape), else ours.
                response.clone().json().catch(function () { return {}; }).then(function (body) {
                    refused(response.status, response.headers.get('X-Request-Id'),
                            body && typeof body.error === 'string' ? body.error : null);
                });
            }
            return response;
        });
    };
})();
