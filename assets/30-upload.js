/* The Unggah page's file transfer: the files chosen (or dropped on the zone) are checked for size
   here, so a file over the limit is never sent, then streamed as multipart to the page's staging
   route, one file per request; each answer (the admin's list, or why not) goes to the page's
   store, where a callback shows it. Files never travel through Dash's callback route, which
   takes small bodies only. */
(function () {
    function zone() { return document.getElementById('upload-drop'); }

    function tell(id, props) {
        if (window.dash_clientside && window.dash_clientside.set_props) { window.dash_clientside.set_props(id, props); }
    }

    function megabytes(bytes) { return (bytes / 1048576).toFixed(1).replace('.', ',') + ' MB'; }

    function send(fileList) {
        var drop = zone();
        if (!drop || drop.classList.contains('upload-drop-busy') || !fileList || !fileList.length) { return; }
        if (drop.classList.contains('upload-drop-sending')) {  // one transfer at a time: the list grows in order
            tell('upload-size-alert', {children: 'File sebelumnya masih dikirim; tunggu sampai selesai, lalu pilih lagi.'});
            return;
        }
        var limit = parseInt(drop.dataset.limit, 10), most = parseInt(drop.dataset.maxFiles, 10);
        var accepted = [], refused = [];
        Array.prototype.forEach.call(fileList, function (file) {
            if (file.size > limit) { refused.push(file.name + ' (' + megabytes(file.size) + ')'); }
            else { accepted.push(file); }
        });
        var message = null;
        if (refused.length) {
            message = 'Terlalu besar, tidak diunggah: ' + refused.join(', ') + '. Batasnya ' +
                Math.round(limit / 1048576) + ' MB per file; pecah file per periode atau per rayon.';
        }
        if (accepted.length > most) {
            message = (message ? message + ' ' : '') + 'Paling banyak ' + most + ' file sekaligus; ' +
                (accepted.length - most) + ' file tidak diunggah, pilih lagi sesudahnya.';
            accepted = accepted.slice(0, most);
        }
        tell('upload-size-alert', {children: message});
        if (!accepted.length) { return; }
        // One file per request, one after the other: each body stays within the size limit (and a
        // proxy's), and each answer is the admin's whole list so far.
        drop.classList.add('upload-drop-sending');
        var failed = [];
        accepted.reduce(function (previous, file) {
            return previous.then(function () { return sendOne(drop, file, failed); });
        }, Promise.resolve()).finally(function () {
            drop.classList.remove('upload-drop-sending');
            if (failed.length) {
                tell('upload-incoming', {data: {error: failed.join(' '), at: Date.now()}});
            }
        });
    }

    function sendOne(drop, file, failed) {
        var form = new FormData();
        form.append('file', file, file.name);
        return fetch(drop.dataset.route, {method: 'POST', body: form, credentials: 'same-origin',
                                          headers: {'X-CSRFToken': drop.dataset.csrf}})
            .then(function (response) {
                return response.json().catch(function () { return {}; }).then(function (body) {
                    if (response.status === 401) {
                        var here = window.location.pathname + window.location.search;
                        window.location.assign('/login?ended=1&next=' + encodeURIComponent(here));
                    }
                    if (!response.ok) {
                        failed.push(file.name + ': ' + (body.error || 'tidak terkirim (' + response.status + '); coba lagi.'));
                        return;
                    }
                    tell('upload-incoming', {data: Object.assign(body, {at: Date.now()})});
                });
            })
            .catch(function () {
                failed.push(file.name + ': tidak terkirim, sambungan ke server terputus; coba lagi.');
            });
    }

    // Dash renders no <input type=file>: one is made in the page's empty slot whenever the
    // page (re)appears.
    function chooser() {
        var slot = document.getElementById('upload-chooser-slot');
        if (!slot || slot.firstChild) { return; }
        var input = document.createElement('input');
        input.type = 'file';
        input.multiple = true;
        input.accept = slot.dataset.accept;
        input.id = 'upload-chooser';
        input.className = 'visually-hidden';
        slot.appendChild(input);
    }
    new MutationObserver(chooser).observe(document.documentElement, {childList: true, subtree: true});
    document.addEventListener('DOMContentLoaded', chooser);

    document.addEventListener('change', function (event) {
        if (event.target && event.target.id === 'upload-chooser') {
            send(event.target.files);
            event.target.value = '';  // the same file may be chosen again
        }
    });
    ['dragenter', 'dragover'].forEach(function (name) {
        document.addEventListener(name, function (event) {
            var drop = zone();
            if (drop && drop.contains(event.target)) { event.preventDefault(); drop.classList.add('upload-drop-over'); }
        });
    });
    document.addEventListener('dragleave', function (event) {
        var drop = zone();
        if (drop && !drop.contains(event.relatedTarget)) { drop.classList.remove('upload-drop-over'); }
    });
    document.addEventListener('drop', function (event) {
        var drop = zone();
        if (drop && drop.contains(event.target)) {
            event.preventDefault();
            drop.classList.remove('upload-drop-over');
            send(event.dataTransfer.files);
        }
    });
})();
