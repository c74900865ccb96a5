/*
 * Imago's console: one page per task (overview, studies, models, research, links, audit), each drawn from
 * Imago's own REST API with the signed-in user's bearer token (the viewer's too: one sign-in serves
 * both). A page or button the token's role may not use is not shown; the API refuses it anyway.
 * Every number links to the API call that gives it. Text from the archive is only ever set as text.
 */
(function () {
  'use strict';
  var TOKEN_KEY = 'imago.token';
  var BASE = window.location.pathname.replace(/\/console\/.*$/, '');
  var PAGES = [
    {id: 'overview', title: 'Overview', roles: ['admin', 'region'], render: overview},
    {id: 'studies', title: 'Studies', roles: ['hospital', 'radiologist', 'admin', 'region'], render: studies},
    {id: 'models', title: 'Models', roles: ['researcher', 'admin', 'region'], render: models},
    {id: 'research', title: 'Research', roles: ['researcher', 'admin', 'region'], render: research},
    {id: 'links', title: 'Links and shares', roles: ['hospital', 'admin'], render: links},
    {id: 'audit', title: 'Audit', roles: ['hospital', 'admin'], render: audit}
  ];
  var main = document.getElementById('main');
  var timers = [];
  var plots = [];

  // uPlot keeps every chart (and a window listener for it) until it is destroyed.
  function dropPlots() {
    plots.forEach(function (p) { p.u.destroy(); });
    plots = [];
  }

  // ---- DOM helpers: text is always text ----
  function el(tag, attrs) {
    var e = document.createElement(tag);
    var kids = Array.prototype.slice.call(arguments, 2);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') e.textContent = v;
      else if (k.indexOf('on') === 0) e.addEventListener(k.substring(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    });
    kids.forEach(function (k) { add(e, k); });
    return e;
  }
  // Appends each of the kids after parent: nodes, text, arrays of them; null and false are skipped.
  function add(parent) {
    Array.prototype.slice.call(arguments, 1).forEach(function (kid) {
      if (kid === null || kid === undefined || kid === false) return;
      if (Array.isArray(kid)) kid.forEach(function (k) { add(parent, k); });
      else parent.appendChild(typeof kid === 'string' || typeof kid === 'number' ? document.createTextNode(String(kid)) : kid);
    });
    return parent;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function badge(state) {
    var known = ['ok', 'bad', 'active', 'done', 'validated', 'failed', 'dead', 'revoked', 'registered', 'queued', 'running',
      'retired', 'expired'];
    return el('span', {'class': 'badge ' + (known.indexOf(state) >= 0 ? state : 'other'), text: state});
  }

  // ---- the token ----
  function token() { return window.sessionStorage.getItem(TOKEN_KEY); }
  function claims(t) {
    var parts = (t || '').split('.');
    if (parts.length !== 3) throw new Error('not a JWT: expected three dot-separated parts');
    var b = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(b.padEnd(Math.ceil(b.length / 4) * 4, '=')));
  }
  function me() {
    try { return claims(token()); } catch (e) { return null; }
  }
  function allowed(page) {
    var c = me();
    return c && page.roles.indexOf(c.role) >= 0;
  }
  function signOut(reason) {
    window.sessionStorage.removeItem(TOKEN_KEY);
    window.location.hash = '#/sign-in' + (reason ? '?reason=' + reason : '');
  }

  // ---- the API ----
  function api(path, options) {
    options = options || {};
    var headers = {'Authorization': 'Bearer ' + token(), 'Accept': 'application/json'};
    if (options.json !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(BASE + path, {method: options.method || 'GET', headers: headers,
      body: options.json !== undefined ? JSON.stringify(options.json) : options.body}).then(function (r) {
      if (r.status === 401) { signOut('unauthorized'); throw new Error('signed out'); }
      var type = r.headers.get('Content-Type') || '';
      return (type.indexOf('json') >= 0 ? r.json() : r.text()).then(function (body) {
        if (!r.ok) {
          var e = new Error(body && body.title ? body.title + (body.detail ? ': ' + body.detail : '') : 'HTTP ' + r.status);
          e.status = r.status;
          throw e;
        }
        return body;
      });
    });
  }
  /** A GET whose answer is a file (a zip, an SVG): the Response's blob, or the problem's message. */
  function download(path) {
    return fetch(BASE + path, {headers: {'Authorization': 'Bearer ' + token()}}).then(function (r) {
      if (r.ok) return r.blob();
      return r.json().then(function (p) { throw new Error(p.title + (p.detail ? ': ' + p.detail : '')); },
        function () { throw new Error('HTTP ' + r.status); });
    });
  }
  /** A number, linked to the API call that gives it: a click shows that call and its answer. */
  function num(value, path, field, raw) {
    return el('a', {'class': 'num', href: BASE + path, 'data-api': path, 'data-field': field || null,
      'data-value': raw === undefined || raw === null ? null : String(raw), title: 'GET ' + path,
      onclick: function (ev) { ev.preventDefault(); showCall(path); }, text: value});
  }
  function showCall(path) {
    var dialog = document.getElementById('api-dialog');
    document.getElementById('api-request').textContent = 'GET ' + BASE + path + '  (Authorization: Bearer <your token>)';
    var out = document.getElementById('api-response');
    out.textContent = 'loading...';
    api(path).then(function (body) { out.textContent = JSON.stringify(body, null, 2); },
      function (e) { out.textContent = e.message; });
    if (dialog.showModal) dialog.showModal();
  }
  function failure(where) {
    return function (e) {
      if (e.message === 'signed out') return;
      add(clear(where), el('p', {'class': 'error', text: e.message}));
    };
  }

  // ---- formatting ----
  function bytes(n) {
    var units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
    var i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
  }
  function count(n) { return n === null || n === undefined ? '-' : Number(n).toLocaleString('en'); }
  function ms(n) { return n === null || n === undefined ? '-' : n < 1000 ? Math.round(n) + ' ms' : (n / 1000).toFixed(1) + ' s'; }
  function when(iso) { return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }
  function dicomValue(study, tag) {
    var a = study[tag];
    if (!a || !a.Value || !a.Value.length) return '';
    var v = a.Value[0];
    if (a.vr === 'PN') return (v.Alphabetic || '').replace(/\^/g, ' ');
    return a.Value.join(', ');
  }

  // ---- plots ----
  function plotBox(parent, plot, opts) {
    var box = el('div', {'class': 'plot', 'data-plot': plot.id, 'data-x-label': opts.xLabel, 'data-y-label': plot.unit,
      'data-series': plot.series.length}, el('h3', {text: plot.title + ' (' + plot.unit + ')'}));
    parent.appendChild(box);
    if (!plot.series.length) {
      box.appendChild(el('div', {'class': 'empty', text: 'nothing sampled in this range yet'}));
      return;
    }
    if (!window.uPlot) {
      box.appendChild(el('div', {'class': 'empty', text: 'charts need uPlot: run scripts/setup.sh --viewer'}));
      return;
    }
    var xs = {};
    plot.series.forEach(function (s) { s.points.forEach(function (p) { xs[p[0]] = true; }); });
    var x = Object.keys(xs).map(Number).sort(function (a, b) { return a - b; });
    var data = [x];
    plot.series.forEach(function (s) {
      var at = {};
      s.points.forEach(function (p) { at[p[0]] = p[1]; });
      data.push(x.map(function (t) { return t in at ? at[t] : null; }));
    });
    var colours = ['#5acce6', '#ffb86c', '#7ee787', '#ff8a80', '#d2a8ff', '#f1fa8c', '#8be9fd', '#ff79c6'];
    var series = [{label: opts.time ? 'time' : opts.xLabel}].concat(plot.series.map(function (s, i) {
      return {label: s.label || plot.title, stroke: colours[i % colours.length], width: 2, spanGaps: false,
        points: {show: x.length < 3}};
    }));
    var width = Math.max(240, box.clientWidth - 16);
    var axis = {stroke: '#9aa3c0', grid: {stroke: '#232a66'}, ticks: {stroke: '#232a66'}};
    var u = new window.uPlot({
      width: width, height: 220, series: series,
      scales: {x: opts.time ? {time: true, range: [opts.from, opts.to]} : {time: false, range: [0, opts.xMax]}},
      axes: [Object.assign({label: opts.xLabel, labelSize: 18}, opts.time ? {} : {incrs: [1, 2, 4, 8, 16, 32, 64]}, axis),
        Object.assign({label: plot.unit, labelSize: 18, size: 60}, axis)],
      legend: {show: true}
    }, data, box);
    plots.push({u: u, box: box});
  }
  window.addEventListener('resize', function () {
    plots.forEach(function (p) { p.u.setSize({width: Math.max(240, p.box.clientWidth - 16), height: 220}); });
  });

  // ---- pages ----
  function overview(view, query) {
    var range = query.get('range') === '24h' ? '24h' : '1h';
    var path = '/admin/overview?range=' + range;
    add(view, el('h1', {text: 'Overview'}),
      el('form', {'class': 'row'}, el('label', {}, 'Range', el('select', {id: 'range', onchange: function (e) {
        window.location.hash = '#/overview?range=' + e.target.value;
      }}, el('option', {value: '1h', selected: range === '1h', text: 'last hour'}),
      el('option', {value: '24h', selected: range === '24h', text: 'last day'})))));
    var body = el('div', {id: 'overview-body'}, el('p', {'class': 'muted', text: 'loading...'}));
    view.appendChild(body);
    function draw() {
      return api(path).then(function (o) {
        dropPlots();
        clear(body);
        var f = o.figures;
        function card(label, value, field) {
          return el('div', {'class': 'card'}, el('div', {'class': 'label', text: label}),
            el('div', {'class': 'value'}, num(value, path, field, f[field.split('.')[1]])));
        }
        add(body, el('p', {'class': 'muted', text: (o.tenant ? 'Hospital ' + o.tenant + ': its traffic, archive and deliveries; '
            + 'the inference queue, jobs, latency, models and nodes are the whole service\'s (they serve every hospital).'
            : 'Every hospital.') + ' ' + o.bucketSeconds + ' s per point; updated ' + when(o.generatedAt)}),
          el('div', {'class': 'cards'},
            card('Studies', count(f.studies), 'figures.studies'),
            card('Instances', count(f.instances), 'figures.instances'),
            card('Storage used', bytes(f.storageBytes), 'figures.storageBytes'),
            card('Instances/s received', f.instancesPerSecond, 'figures.instancesPerSecond'),
            card('Images/s inferred', f.imagesPerSecond, 'figures.imagesPerSecond'),
            card('Jobs queued', count(f.jobsQueued), 'figures.jobsQueued'),
            card('Jobs running', count(f.jobsRunning), 'figures.jobsRunning'),
            card('Jobs failed (' + o.range + ')', count(f.jobsFailed), 'figures.jobsFailed'),
            card('Job latency p50', ms(f.jobLatencyP50Ms), 'figures.jobLatencyP50Ms'),
            card('Job latency p99', ms(f.jobLatencyP99Ms), 'figures.jobLatencyP99Ms'),
            card('Deliveries pending', count(f.deliveriesPending), 'figures.deliveriesPending'),
            card('Deliveries failing', count(f.deliveriesFailing), 'figures.deliveriesFailing')));
        var grid = el('div', {'class': 'plots'});
        body.appendChild(grid);
        o.plots.forEach(function (p) { plotBox(grid, p, {time: true, from: o.from, to: o.to, xLabel: 'time (this browser\'s zone)'}); });
        var rows = o.nodes.map(function (n) {
          return el('tr', {'data-node': n.node}, el('td', {text: n.node}), el('td', {text: n.roles}),
            el('td', {}, badge(n.healthy ? 'ok' : 'bad')), el('td', {text: when(n.startedAt)}), el('td', {text: when(n.lastSeen)}),
            el('td', {text: [n.detail.version ? 'version ' + n.detail.version : '', n.detail.worker ? 'runs inference' : '']
              .filter(Boolean).join(', ')}));
        });
        add(body, el('h2', {text: 'Nodes and workers'}), el('div', {'class': 'table-wrap'}, el('table', {id: 'nodes'},
          el('thead', {}, el('tr', {}, ['Node', 'Roles', 'Health', 'Started', 'Last seen', ''].map(function (h) {
            return el('th', {text: h});
          }))), el('tbody', {}, rows))));
      }).catch(failure(body));
    }
    draw();
    timers.push(window.setInterval(draw, 15000));
  }

  function studies(view, query) {
    var keys = [['PatientName', 'Patient name'], ['PatientID', 'Patient ID'], ['StudyDate', 'Date (YYYYMMDD or a range)'],
      ['ModalitiesInStudy', 'Modality'], ['AccessionNumber', 'Accession']];
    var form = el('form', {'class': 'row', id: 'study-search', onsubmit: function (ev) {
      ev.preventDefault();
      var q = new URLSearchParams();
      keys.forEach(function (k) { var v = form.elements[k[0]].value.trim(); if (v) q.set(k[0], v); });
      window.location.hash = '#/studies?' + q.toString();
    }}, keys.map(function (k) {
      return el('label', {}, k[1], el('input', {name: k[0], value: query.get(k[0]) || ''}));
    }), el('button', {type: 'submit', text: 'Search'}));
    var results = el('div', {id: 'study-results'});
    add(view, el('h1', {text: 'Studies'}), form, results);
    var q = new URLSearchParams();
    keys.forEach(function (k) { if (query.get(k[0])) q.set(k[0], query.get(k[0])); });
    if (q.get('PatientName')) q.set('fuzzymatching', 'true');
    q.set('limit', '50');
    q.set('includefield', '00081030,00201206,00201208');
    var path = '/dicomweb/studies?' + q.toString();
    api(path).then(function (list) {
      list = list || [];
      clear(results);
      add(results, el('p', {'class': 'muted'}, num(list.length + (list.length === 50 ? '+' : ''), path), ' studies'));
      var tbody = el('tbody');
      list.forEach(function (s) {
        var uid = dicomValue(s, '0020000D');
        var detail = el('tr', {'class': 'detail', hidden: true}, el('td', {colspan: 7}));
        var row = el('tr', {'data-study': uid}, el('td', {text: dicomValue(s, '00100010')}), el('td', {text: dicomValue(s, '00100020')}),
          el('td', {text: dicomValue(s, '00080020')}), el('td', {text: dicomValue(s, '00080061')}),
          el('td', {text: dicomValue(s, '00081030')}),
          el('td', {}, num(dicomValue(s, '00201206') + ' / ' + dicomValue(s, '00201208'),
            '/dicomweb/studies/' + encodeURIComponent(uid) + '/series')),
          el('td', {'class': 'actions'},
            el('a', {'class': 'button', href: BASE + '/viewer/viewer?StudyInstanceUIDs=' + encodeURIComponent(uid) + '#research=',
              text: 'Open'}),
            el('button', {'class': 'secondary', type: 'button', text: 'Details', onclick: function () {
              detail.hidden = !detail.hidden;
              if (!detail.hidden) studyDetail(detail.firstChild, uid);
            }})));
        add(tbody, [row, detail]);
      });
      add(results, el('div', {'class': 'table-wrap'}, el('table', {},
        el('thead', {}, el('tr', {}, ['Patient', 'ID', 'Date', 'Modalities', 'Description', 'Series / instances', '']
          .map(function (h) { return el('th', {text: h}); }))), tbody)));
    }).catch(failure(results));
  }

  function studyDetail(cell, uid) {
    clear(cell);
    var role = me().role;
    var sections = [
      ['AI results', '/inference/studies/' + encodeURIComponent(uid) + '/ai-results', aiResults, true],
      ['Jobs', '/inference/jobs?studyUID=' + encodeURIComponent(uid), jobs, true],
      ['Links', '/fse/links?studyUID=' + encodeURIComponent(uid), linkTable, ['hospital', 'admin'].indexOf(role) >= 0],
      ['Audit', '/admin/audit?studyUID=' + encodeURIComponent(uid), function (events) {
        var newest = events.slice().reverse().slice(0, 15);
        return [auditTable(newest), events.length > newest.length ? el('p', {}, el('a', {href: '#/audit?studyUID=' + encodeURIComponent(uid),
          text: 'all ' + events.length + ' accesses to this study'})) : null];
      }, ['hospital', 'admin'].indexOf(role) >= 0]
    ];
    var grid = el('div', {'class': 'stack'});
    cell.appendChild(grid);
    sections.filter(function (s) { return s[3]; }).forEach(function (s) {
      var box = el('div', {'data-section': s[0]}, el('h2', {}, s[0], ' ', el('span', {'class': 'muted'}, num('(API)', s[1]))));
      var content = el('div', {}, el('p', {'class': 'muted', text: 'loading...'}));
      add(box, content);
      grid.appendChild(box);
      api(s[1]).then(function (body) { add(clear(content), s[2](body)); }, function (e) {
        add(clear(content), el('p', {'class': e.status === 404 ? 'muted' : 'error', text: e.status === 404 ? 'none' : e.message}));
      });
    });
  }

  function aiResults(body) {
    var rows = [];
    (body.results || []).forEach(function (r) {
      var what = [];
      (r.findings || []).forEach(function (f) {
        what.push(f.label + ' ' + (f.present ? 'present' : 'absent') + ' (p ' + Number(f.probability).toFixed(2) + ')');
      });
      if (r.regions) what.push(r.regions.length + ' box(es)');
      (r.segments || []).forEach(function (s) {
        what.push(s.label + ': ' + s.pixels + ' voxels' + (s.volumeMm3 ? ', ' + (s.volumeMm3 / 1000).toFixed(1) + ' ml' : ''));
      });
      rows.push(el('tr', {}, el('td', {text: r.model.name + ' ' + r.model.version}), el('td', {text: r.task}),
        el('td', {text: what.join('; ')})));
    });
    (body.notDone || []).forEach(function (j) {
      rows.push(el('tr', {}, el('td', {text: j.model}), el('td', {}, badge(j.state)), el('td', {text: j.reason || ''})));
    });
    return table(['Model', 'Task', 'Findings'], rows);
  }
  function jobs(list) {
    return table(['Job', 'Model', 'State', 'Series', 'Finished'], list.map(function (j) {
      return el('tr', {}, el('td', {text: j.id}), el('td', {text: j.model.name + ' ' + j.model.version}),
        el('td', {}, badge(j.state)), el('td', {text: j.seriesInstanceUID}), el('td', {text: when(j.finishedAt)}));
    }));
  }
  function linkState(l) {
    return l.revokedAt ? 'revoked' : Date.parse(l.expiresAt) <= Date.now() ? 'expired' : 'active';
  }
  function linkTable(list, onRevoke) {
    return table(['Link', 'Study', 'Rights', 'Created', 'Expires', 'State', ''], list.map(function (l) {
      var state = linkState(l);
      return el('tr', {'data-link': l.id}, el('td', {text: l.id}), el('td', {text: l.studyUID}), el('td', {text: l.rights.join(', ')}),
        el('td', {text: when(l.createdAt) + ' by ' + l.createdBy}), el('td', {text: when(l.expiresAt)}), el('td', {}, badge(state)),
        el('td', {}, state === 'active' && onRevoke ? el('button', {'class': 'danger', type: 'button', text: 'Revoke',
          onclick: function () { onRevoke(l); }}) : null));
    }));
  }
  function auditTable(list) {
    return table(['When', 'Who', 'Role', 'Action', 'Study', 'Via', 'From'], list.map(function (a) {
      return el('tr', {}, el('td', {text: when(a.at)}), el('td', {text: a.subject}), el('td', {text: a.role}),
        el('td', {text: a.action}), el('td', {text: a.studyUID || ''}), el('td', {text: a.via}), el('td', {text: a.remote || ''}));
    }));
  }
  function table(heads, rows) {
    if (!rows.length) return el('p', {'class': 'muted', text: 'none'});
    return el('div', {'class': 'table-wrap'}, el('table', {}, el('thead', {}, el('tr', {}, heads.map(function (h) {
      return el('th', {text: h});
    }))), el('tbody', {}, rows)));
  }

  function models(view) {
    var c = me();
    var list = el('div', {id: 'model-list'}, el('p', {'class': 'muted', text: 'loading...'}));
    add(view, el('h1', {text: 'Models'}));
    if (c.role === 'researcher' || c.role === 'admin') {
      var status = el('span', {'class': 'muted'});
      var upload = el('form', {'class': 'row', id: 'model-upload', onsubmit: function (ev) {
        ev.preventDefault();
        var data = new FormData();
        data.append('manifest', upload.elements.manifest.files[0]);
        data.append('artifact', upload.elements.artifact.files[0]);
        status.textContent = 'uploading...';
        api('/models', {method: 'POST', body: data}).then(function (v) {
          status.textContent = 'registered ' + v.name + ' ' + v.version + ': ' + v.state;
          route();
        }, function (e) { status.textContent = e.message; });
      }}, el('label', {}, 'manifest.json', el('input', {type: 'file', name: 'manifest', accept: '.json', required: true})),
        el('label', {}, 'model (.pt, .onnx, .h5, .zip)', el('input', {type: 'file', name: 'artifact', required: true})),
        el('button', {type: 'submit', text: 'Register'}), status);
      add(view, el('h2', {text: 'Register a version'}), upload);
    }
    add(view, list);
    api('/models').then(function (versions) {
      var rows = [];
      versions.forEach(function (v) {
        var path = '/models/' + encodeURIComponent(v.name) + '/versions/' + encodeURIComponent(v.version);
        var detail = el('tr', {'class': 'detail', hidden: true}, el('td', {colspan: 7}));
        var buttons = [];
        var canActivate = c.role === 'region' && (v.state === 'validated' || v.state === 'retired' || v.state === 'active');
        if (canActivate) {
          ['primary', 'shadow'].forEach(function (mode) {
            if (v.state === 'active' && v.mode === mode) return;
            buttons.push(el('button', {type: 'button', text: 'Activate ' + mode, onclick: function () {
              api(path + '/activate', {method: 'POST', json: {mode: mode}}).then(route, function (e) {
                if (e.status !== 409 || mode !== 'primary' || e.message.indexOf('Worse than the primary') < 0) {
                  failure(list)(e);
                  return;
                }
                // the promotion gate: its figures, and an override that needs a reason
                detail.hidden = false;
                var reason = el('input', {name: 'reason', required: true, size: 48, placeholder: 'why it is promoted anyway'});
                add(clear(detail.firstChild), el('p', {'class': 'error', id: 'gate-refused', text: e.message}),
                  el('form', {'class': 'row', id: 'gate-override', onsubmit: function (ev) {
                    ev.preventDefault();
                    api(path + '/activate', {method: 'POST', json: {mode: 'primary', override: reason.value.trim()}})
                      .then(route, failure(detail.firstChild));
                  }}, el('label', {}, 'Override the gate (audited)', reason), el('button', {type: 'submit', 'class': 'danger',
                    text: 'Promote anyway'})));
              });
            }}));
          });
        }
        var canRetire = v.state !== 'retired' && (c.role === 'region' || ((c.role === 'researcher' || c.role === 'admin')
          && v.tenant === c.tenant));
        if (canRetire) {
          buttons.push(el('button', {'class': 'danger', type: 'button', text: 'Retire', onclick: function () {
            api(path + '/retire', {method: 'POST', json: {reason: 'retired from the console'}}).then(route, failure(list));
          }}));
        }
        buttons.push(el('button', {'class': 'secondary', type: 'button', text: 'Details', onclick: function () {
          detail.hidden = !detail.hidden;
          if (!detail.hidden) modelDetail(detail.firstChild, v, path);
        }}));
        rows.push(el('tr', {'data-model': v.name + ' ' + v.version}, el('td', {text: v.name}), el('td', {text: v.version}),
          el('td', {text: v.manifest.task + ', ' + v.framework}), el('td', {}, badge(v.state), v.mode ? ' ' + v.mode : ''),
          el('td', {text: v.tenant}), el('td', {text: when(v.registeredAt)}), el('td', {'class': 'actions'}, buttons)));
        rows.push(detail);
      });
      add(clear(list), el('p', {'class': 'muted'}, num(versions.length, '/models'), ' versions'),
        table(['Name', 'Version', 'Task', 'State', 'Hospital', 'Registered', ''], rows));
    }).catch(failure(list));
  }

  function modelDetail(cell, v, path) {
    clear(cell);
    var report = v.validation || {};
    var figures = el('div', {'class': 'cards'});
    [['Load time', ms(report.loadMillis), 'validation.loadMillis'], ['Memory', report.memoryBytes ? bytes(report.memoryBytes) : '-',
      'validation.memoryBytes'], ['Engine', report.engine ? report.engine + ' on ' + report.device : '-', 'validation.engine']]
      .forEach(function (f) {
        add(figures, el('div', {'class': 'card'}, el('div', {'class': 'label', text: f[0]}),
          el('div', {'class': f[0] === 'Engine' ? 'value small' : 'value'}, num(f[1], path, f[2]))));
      });
    if (v.state === 'active' && v.mode === 'shadow') {
      var agreementPath = '/inference/agreement?model=' + encodeURIComponent(v.name) + '&version=' + encodeURIComponent(v.version);
      var agreement = el('div', {'class': 'card', id: 'agreement'}, el('div', {'class': 'label', text: 'Agreement with the primary'}),
        el('div', {'class': 'value small', text: 'loading...'}));
      figures.appendChild(agreement);
      api(agreementPath).then(function (a) {
        var text = a.pairs ? Math.round(a.agreement * 100) + ' % of ' + a.pairs + ' series' : 'no series compared yet';
        add(clear(agreement.lastChild), num(text, agreementPath, 'agreement', a.agreement),
          el('div', {'class': 'muted', text: 'against ' + a.against + ': ' + a.criterion}));
      }, function (e) { agreement.lastChild.textContent = e.message; });
    }
    var grid = el('div', {'class': 'split'});
    add(cell, figures, grid);
    var runs = report.dryRuns || [];
    var plotHolder = el('div', {});
    grid.appendChild(plotHolder);
    plotBox(plotHolder, {id: 'latency-' + v.name, title: 'Latency against batch size (validation dry runs)', unit: 'ms',
      series: runs.length ? [{label: 'steady', points: runs.map(function (r) { return [r.batch, r.steadyMillis]; })},
        {label: 'first call', points: runs.map(function (r) { return [r.batch, r.firstCallMillis]; })}] : []},
      {time: false, xLabel: 'batch size', xMax: Math.max.apply(null, [1].concat(runs.map(function (r) { return r.batch; }))) + 1});
    add(grid, el('div', {}, el('h2', {text: 'Manifest'}), el('pre', {text: JSON.stringify(v.manifest, null, 2)})),
      el('div', {}, el('h2', {text: 'Validation report'}), el('pre', {text: JSON.stringify(report, null, 2)})));
    var history = el('div', {}, el('h2', {text: 'History'}));
    grid.appendChild(history);
    var evaluations = el('div', {id: 'evaluations'});
    add(cell, evaluations);
    evaluationsOf(evaluations, v, path);
    api(path).then(function (full) {
      add(history, table(['When', 'From', 'To', 'By', 'Detail'], (full.history || []).map(function (e) {
        return el('tr', {}, el('td', {text: when(e.at)}), el('td', {text: e.from || ''}), el('td', {text: e.to}),
          el('td', {text: e.by}), el('td', {text: e.detail || ''}));
      })));
    }, failure(history));
  }

  /** A version's evaluations on research cohorts: each finding's figures beside the primary's, the plot, and (researchers) a new one. */
  function evaluationsOf(box, v, path) {
    var c = me();
    add(clear(box), el('h2', {text: 'Evaluations on research cohorts'}));
    if (c.role === 'researcher' && (v.state === 'validated' || v.state === 'active')) {
      var select = el('select', {name: 'project'});
      var status = el('span', {'class': 'muted'});
      api('/research').then(function (projects) {
        projects.filter(function (p) { return p.researcher; }).forEach(function (p) {
          select.appendChild(el('option', {value: p.name, text: p.name + ' (' + p.title + ')'}));
        });
      });
      add(box, el('form', {'class': 'row', id: 'evaluate', onsubmit: function (ev) {
        ev.preventDefault();
        status.textContent = 'starting...';
        api(path + '/evaluations', {method: 'POST', json: {project: select.value}}).then(function () {
          evaluationsOf(box, v, path);
        }, function (e) { status.textContent = e.message; status.className = 'error'; });
      }}, el('label', {}, 'Project', select), el('button', {type: 'submit', text: 'Evaluate beside the primary'}), status));
    }
    var list = el('div', {}, el('p', {'class': 'muted', text: 'loading...'}));
    add(box, list);
    api(path + '/evaluations').then(function (all) {
      if (!all.length) { add(clear(list), el('p', {'class': 'muted', text: 'none'})); return; }
      clear(list);
      all.forEach(function (e) {
        var item = el('div', {'class': 'evaluation', 'data-evaluation': String(e.id)});
        add(list, item);
        api(path + '/evaluations/' + e.id).then(function (full) { evaluationView(item, full, path); }, failure(item));
      });
    }).catch(failure(list));
  }

  function evaluationView(item, e, path) {
    add(clear(item), el('h3', {}, 'Evaluation ' + e.id + ' on project ' + e.project + ' ', badge(e.state),
      el('span', {'class': 'muted', text: ' beside ' + (e.baseline ? 'primary ' + e.baseline : 'no primary') + ', by '
        + e.requestedBy + ', ' + when(e.requestedAt)})));
    if (e.state === 'running') {
      var p = e.progress || {};
      add(item, el('p', {'class': 'muted', text: (p.jobs ? p.jobsDone + ' of ' + p.jobs + ' jobs done' : 'starting') + '...'}));
      timers.push(window.setTimeout(function () {
        api(path + '/evaluations/' + e.id).then(function (full) { evaluationView(item, full, path); });
      }, 2000));
      return;
    }
    var r = e.report || {};
    if (e.state !== 'done') { add(item, el('p', {'class': 'error', text: r.error || e.state})); return; }
    var detection = r.task === 'detection';
    r.findings.forEach(function (f) {
      var rows = [];
      function row(label, value) { rows.push(el('tr', {}, el('td', {text: label}), el('td', {text: value(f.candidate)}),
        el('td', {text: f.baseline ? value(f.baseline) : '-'}))); }
      function interval(x) { return x && x.value !== null ? x.value.toFixed(3) + (x.low !== null ? ' (' + x.low.toFixed(3) + '-'
        + x.high.toFixed(3) + ')' : '') : 'n/a'; }
      if (detection) {
        f.candidate.sensitivityAt.forEach(function (at, i) {
          row('sensitivity at ' + at.falsePositivesPerImage + ' FP/image', function (x) {
            var s = x.sensitivityAt[i].sensitivity; return s === null ? 'n/a' : s.toFixed(3); });
        });
        row('mean sensitivity', function (x) { return x.meanSensitivity.toFixed(3); });
      } else {
        ['auc', 'sensitivity', 'specificity'].forEach(function (m) {
          row(m === 'auc' ? 'AUC (95% CI)' : m + ' at ' + f.threshold, function (x) { return interval(x[m]); });
        });
      }
      var plot = el('img', {'class': 'eval-plot', alt: (detection ? 'FROC' : 'ROC') + ' of ' + f.finding, width: 480, height: 400});
      download(path + '/evaluations/' + e.id + '/plot.svg?finding=' + encodeURIComponent(f.finding)).then(function (blob) {
        var reader = new FileReader();
        reader.onload = function () { plot.src = reader.result; }; // a data: URL: the console's CSP allows no blob: images
        reader.readAsDataURL(blob);
      });
      add(item, el('div', {'class': 'split'}, el('div', {}, el('p', {'class': 'muted', text: f.finding + ': ' + (detection
        ? f.images + ' images, ' + f.lesions + ' lesions' : f.cases + ' ' + f.level + ' cases, ' + f.positives + ' with it')}),
        table(['Figure', 'Candidate ' + r.candidate, r.baseline ? 'Primary ' + r.baseline : 'Primary'], rows)), plot));
    });
    if (r.comparison) {
      var c = r.comparison;
      add(item, el('p', {'class': c.worse ? 'error' : 'muted', 'data-verdict': c.worse ? 'worse' : 'not-worse',
        text: c.metric + ': ' + c.candidate.toFixed(3) + ' against ' + c.baseline.toFixed(3) + (c.worse
          ? ': worse than the primary by more than ' + c.margin + '; promotion needs an override'
          : ': not worse than the primary (margin ' + c.margin + ')')}));
    }
  }

  function research(view) {
    var c = me();
    var status = el('span', {'class': 'muted'});
    var list = el('div', {id: 'project-list'}, el('p', {'class': 'muted', text: 'loading...'}));
    add(view, el('h1', {text: 'Research projects'}), el('p', {'class': 'muted', text: 'A project sees its cohort of the '
      + 'consenting hospitals\' studies de-identified (DICOM PS3.15 Annex E), never a patient.'}));
    if (c.role === 'researcher') {
      var form = el('form', {'class': 'row', id: 'project-create', onsubmit: function (ev) {
        ev.preventDefault();
        var cohort = {};
        form.elements.cohort.value.split(/[\n,]+/).forEach(function (kv) {
          var i = kv.indexOf('=');
          if (i > 0) cohort[kv.substring(0, i).trim()] = kv.substring(i + 1).trim();
        });
        var tenants = form.elements.tenants.value.split(',').map(function (t) { return t.trim(); }).filter(Boolean);
        var body = {name: form.elements.name.value.trim(), title: form.elements.title.value.trim() || undefined, cohort: cohort};
        if (tenants.length) body.tenants = tenants;
        api('/research', {method: 'POST', json: body}).then(function () { status.textContent = ''; load(); },
          function (e) { status.textContent = e.message; status.className = 'error'; });
      }}, el('label', {}, 'Name', el('input', {name: 'name', required: true, pattern: '[a-z0-9][a-z0-9-]{1,62}', size: 16})),
        el('label', {}, 'Title', el('input', {name: 'title', size: 24})),
        el('label', {}, 'Cohort (QIDO study keys)', el('input', {name: 'cohort', size: 28, placeholder: 'ModalitiesInStudy=CT'})),
        el('label', {}, 'Hospitals invited', el('input', {name: 'tenants', size: 16, placeholder: c.tenant})),
        el('button', {type: 'submit', text: 'Create project'}), status);
      add(view, el('h2', {text: 'A new project'}), form);
    }
    add(view, list);
    if (c.role === 'admin') add(view, optOuts());
    function load() {
      api('/research').then(function (projects) {
        add(clear(list), table(['Project', 'Cohort', 'Hospitals', 'Researchers', ''], projects.map(projectRow)));
      }).catch(failure(list));
    }
    function projectRow(p) {
      var path = '/research/' + encodeURIComponent(p.name);
      var buttons = [];
      var site = p.sites.filter(function (s) { return s.tenant === c.tenant; })[0];
      if (c.role === 'admin' && site) {
        var verbs = site.state === 'consented' ? [['withdraw', 'Withdraw']] : site.state === 'invited'
          ? [['consent', 'Consent'], ['decline', 'Decline']] : [['consent', 'Consent']];
        verbs.forEach(function (v) {
          buttons.push(el('button', {type: 'button', 'class': v[0] === 'consent' ? null : 'danger', text: v[1], onclick: function () {
            api(path + '/' + v[0], {method: 'POST'}).then(load, failure(list));
          }}));
        });
      }
      var got = el('span', {'class': 'muted'});
      if (c.role === 'researcher' && p.researcher) {
        buttons.push(el('a', {'class': 'button secondary', href: BASE + '/viewer/#research=' + encodeURIComponent(p.name),
          target: '_blank', rel: 'noopener', text: 'Open in viewer'}));
        buttons.push(el('button', {type: 'button', 'class': 'secondary', text: 'Export', onclick: function () {
          got.textContent = 'exporting...';
          download(path + '/export').then(function (blob) {
            add(clear(got), el('a', {href: URL.createObjectURL(blob), download: p.name + '.zip', 'class': 'export-link',
              text: p.name + '.zip (' + bytes(blob.size) + ')'}));
          }, function (e) { got.textContent = e.message; });
        }}));
        var labels = el('input', {type: 'file', accept: '.csv,text/csv', 'class': 'labels-file', onchange: function () {
          var file = labels.files[0];
          if (!file) return;
          fetch(BASE + path + '/labels', {method: 'POST', headers: {'Authorization': 'Bearer ' + token(), 'Content-Type': 'text/csv'},
            body: file}).then(function (r) { return r.json().then(function (b) {
              got.textContent = r.ok ? b.stored + ' labels stored' : b.title + ': ' + (b.errors || []).map(function (x) {
                return x.path + ' ' + x.message; }).join('; ');
            }); });
        }});
        buttons.push(el('label', {'class': 'button secondary'}, 'Labels (CSV)', labels));
      }
      return el('tr', {'data-project': p.name}, el('td', {}, el('strong', {text: p.name}), el('div', {'class': 'muted', text: p.title})),
        el('td', {text: Object.keys(p.cohort).map(function (k) { return k + '=' + p.cohort[k]; }).join(', ') || 'every study'}),
        el('td', {}, p.sites.map(function (s) { return el('div', {}, s.tenant + ' ', badge(s.state)); })),
        el('td', {text: p.researchers.join(', ')}), el('td', {'class': 'actions'}, buttons, got));
    }
    load();
  }

  /** A hospital admin's list of patients who objected to research use. */
  function optOuts() {
    var box = el('div', {id: 'opt-outs'}, el('h2', {text: 'Patients who opted out'}));
    var list = el('div', {});
    var form = el('form', {'class': 'row', id: 'opt-out-add', onsubmit: function (ev) {
      ev.preventDefault();
      var body = {patientId: form.elements.patientId.value.trim()};
      if (form.elements.project.value.trim()) body.project = form.elements.project.value.trim();
      api('/research/opt-outs', {method: 'POST', json: body}).then(function () { form.reset(); load(); }, failure(list));
    }}, el('label', {}, 'Patient ID', el('input', {name: 'patientId', required: true})),
      el('label', {}, 'Project (empty: every project)', el('input', {name: 'project'})),
      el('button', {type: 'submit', text: 'Record opt-out'}));
    function load() {
      api('/research/opt-outs').then(function (all) {
        add(clear(list), table(['Patient', 'Project', 'Recorded', ''], all.map(function (o) {
          return el('tr', {'data-opt-out': o.patientId}, el('td', {text: o.patientId}), el('td', {text: o.project || 'every project'}),
            el('td', {text: when(o.recordedAt) + ' by ' + o.recordedBy}), el('td', {}, el('button', {type: 'button', 'class': 'danger',
              text: 'Remove', onclick: function () { api('/research/opt-outs/' + o.id, {method: 'DELETE'}).then(load, failure(list)); }})));
        })));
      }).catch(failure(list));
    }
    add(box, form, list);
    load();
    return box;
  }

  function links(view) {
    var status = el('span', {'class': 'muted'});
    var list = el('div', {id: 'link-list'}, el('p', {'class': 'muted', text: 'loading...'}));
    var created = el('div', {id: 'link-created'});
    var form = el('form', {'class': 'row', id: 'link-create', onsubmit: function (ev) {
      ev.preventDefault();
      status.textContent = '';
      var rights = ['view'];
      if (form.elements.download.checked) rights.push('download');
      api('/fse/links', {method: 'POST', json: {studyUID: form.elements.studyUID.value.trim(), ttl: form.elements.ttl.value,
        rights: rights}}).then(function (l) {
        add(clear(created), el('p', {}, 'Link created: ', el('a', {href: l.url + '/', id: 'new-link', text: l.url + '/'}),
          el('span', {'class': 'muted', text: ' (shown once: the token is not kept in a readable form)'})));
        load();
      }, function (e) { status.textContent = e.message; status.className = 'error'; });
    }}, el('label', {}, 'Study Instance UID', el('input', {name: 'studyUID', required: true, size: 48})),
      el('label', {}, 'Valid for', el('select', {name: 'ttl'}, el('option', {value: 'P7D', text: '7 days'}),
        el('option', {value: 'P30D', text: '30 days', selected: true}), el('option', {value: 'P365D', text: '1 year'}))),
      el('label', {}, 'Download', el('input', {type: 'checkbox', name: 'download'})),
      el('button', {type: 'submit', text: 'Create link'}), status);
    add(view, el('h1', {text: 'FSE links'}), form, created, list);
    function load() {
      api('/fse/links').then(function (found) {
        add(clear(list), el('p', {'class': 'muted'}, num(found.length, '/fse/links'), ' links, newest first'),
          linkTable(found, function (l) {
            api('/fse/links/' + l.id, {method: 'DELETE'}).then(load, failure(list));
          }));
      }).catch(failure(list));
    }
    load();
    shares(view);
  }

  // A share lets one named person of another hospital (or the region) see one of this hospital's studies.
  function shares(view) {
    var status = el('span', {'class': 'muted'});
    var list = el('div', {id: 'share-list'}, el('p', {'class': 'muted', text: 'loading...'}));
    var form = el('form', {'class': 'row', id: 'share-create', onsubmit: function (ev) {
      ev.preventDefault();
      status.textContent = '';
      api('/admin/shares', {method: 'POST', json: {studyUID: form.elements.studyUID.value.trim(),
        grantee: form.elements.grantee.value.trim(), ttl: form.elements.ttl.value}}).then(function () {
        form.reset();
        load();
      }, function (e) { status.textContent = e.message; status.className = 'error'; });
    }}, el('label', {}, 'Study Instance UID', el('input', {name: 'studyUID', required: true, size: 48})),
      el('label', {}, 'Shared with (their token\'s subject)', el('input', {name: 'grantee', required: true})),
      el('label', {}, 'For', el('select', {name: 'ttl'}, el('option', {value: 'P7D', text: '7 days'}),
        el('option', {value: 'P30D', text: '30 days', selected: true}), el('option', {value: 'P365D', text: '1 year'}))),
      el('button', {type: 'submit', text: 'Share'}), status);
    add(view, el('h1', {text: 'Shares'}), form, list);
    function load() {
      api('/admin/shares').then(function (found) {
        add(clear(list), el('p', {'class': 'muted'}, num(found.length, '/admin/shares'), ' shares, newest first'),
          table(['Share', 'Study', 'With', 'Granted', 'Until', 'State', ''], found.map(function (sh) {
            var live = Date.parse(sh.expiresAt) > Date.now();
            return el('tr', {'data-share': sh.id}, el('td', {text: sh.id}), el('td', {text: sh.studyUID}), el('td', {text: sh.grantee}),
              el('td', {text: when(sh.createdAt) + ' by ' + sh.grantedBy}), el('td', {text: when(sh.expiresAt)}),
              el('td', {}, badge(live ? 'active' : 'expired')),
              el('td', {}, live ? el('button', {'class': 'danger', type: 'button', text: 'End', onclick: function () {
                api('/admin/shares/' + sh.id, {method: 'DELETE'}).then(load, failure(list));
              }}) : null));
          })));
      }).catch(failure(list));
    }
    load();
  }

  function audit(view, query) {
    var fields = [['subject', 'Who (subject)'], ['action', 'Action'], ['since', 'From (YYYY-MM-DD)'], ['until', 'Until (YYYY-MM-DD, included)'],
      ['studyUID', 'Study Instance UID']];
    var form = el('form', {'class': 'row', id: 'audit-filter', onsubmit: function (ev) {
      ev.preventDefault();
      var q = new URLSearchParams();
      fields.forEach(function (f) { var v = form.elements[f[0]].value.trim(); if (v) q.set(f[0], v); });
      window.location.hash = '#/audit?' + q.toString();
    }}, fields.map(function (f) {
      return el('label', {}, f[1], el('input', {name: f[0], value: query.get(f[0]) || ''}));
    }), el('button', {type: 'submit', text: 'Filter'}));
    var list = el('div', {id: 'audit-list'}, el('p', {'class': 'muted', text: 'loading...'}));
    add(view, el('h1', {text: 'Audit: who saw what of this hospital\'s studies'}), form, list);
    var q = new URLSearchParams();
    fields.forEach(function (f) { if (query.get(f[0])) q.set(f[0], query.get(f[0])); });
    q.set('limit', '200'); // the newest first, a study's too
    var path = '/admin/audit?' + q.toString();
    api(path).then(function (events) {
      add(clear(list), el('p', {'class': 'muted'}, num(events.length, path), ' accesses, newest first'), auditTable(events));
    }).catch(failure(list));
  }

  function signIn(view, query) {
    var reasons = {unauthorized: 'Imago refused the stored token (expired, revoked or from another Imago). Paste a new one.'};
    var status = el('p', {id: 'status', role: 'status'});
    var form = el('form', {id: 'sign-in-form', onsubmit: function (ev) {
      ev.preventDefault();
      var t = form.elements.token.value.trim().replace(/^Bearer\s+/i, '');
      var c;
      try { c = claims(t); } catch (e) { status.textContent = 'This is not a bearer token: ' + e.message; status.className = 'error'; return; }
      if (typeof c.exp === 'number' && c.exp * 1000 <= Date.now()) {
        status.textContent = 'This token expired on ' + new Date(c.exp * 1000).toISOString() + '.';
        status.className = 'error';
        return;
      }
      window.sessionStorage.setItem(TOKEN_KEY, t);
      var first = PAGES.filter(allowed)[0];
      window.location.hash = '#/' + (first ? first.id : 'studies');
    }}, el('label', {'for': 'token', text: 'Bearer token'}),
      el('textarea', {id: 'token', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true,
        placeholder: 'eyJhbGciOiJIUzI1NiJ9...'}),
      el('p', {}, el('button', {id: 'sign-in', type: 'submit', text: 'Sign in'})));
    add(view, el('div', {'class': 'signin'}, el('h1', {text: 'Imago console: sign in'}),
      el('p', {text: reasons[query.get('reason')] || 'Sign in with the bearer token your Imago administrator gave you.'}),
      form, status,
      el('p', {'class': 'muted'}, 'Where Imago runs, ', el('code', {text: './imago token --tenant <hospital> --role admin'}),
        ' mints one (roles: hospital, radiologist, researcher, admin, region). It stays in this browser tab only.')));
  }

  // ---- the router ----
  function route() {
    timers.forEach(window.clearInterval);
    timers = [];
    dropPlots();
    var hash = window.location.hash.replace(/^#\/?/, '');
    var q = hash.indexOf('?');
    var id = q < 0 ? hash : hash.substring(0, q);
    var query = new URLSearchParams(q < 0 ? '' : hash.substring(q + 1));
    var c = me();
    var nav = clear(document.getElementById('nav'));
    document.getElementById('sign-out').hidden = !c;
    document.getElementById('who').textContent = c ? (c.sub || '?') + ' (' + c.role + (c.tenant ? ', ' + c.tenant : '') + ')' : '';
    clear(main);
    if (!c || id === 'sign-in') {
      if (c && id === 'sign-in') window.sessionStorage.removeItem(TOKEN_KEY);
      signIn(main, query);
      return;
    }
    var mine = PAGES.filter(allowed);
    mine.forEach(function (p) {
      nav.appendChild(el('a', {href: '#/' + p.id, 'class': p.id === id ? 'active' : null, 'data-page': p.id, text: p.title}));
    });
    var page = PAGES.filter(function (p) { return p.id === id; })[0];
    if (!page) {
      if (mine.length) window.location.replace('#/' + mine[0].id);
      else add(main, el('p', {text: 'Your role (' + c.role + ') has no page in this console.'}));
      return;
    }
    if (!allowed(page)) {
      add(main, el('p', {'class': 'error', id: 'forbidden', text: 'The ' + page.title + ' page is not available to your role ('
        + c.role + ').'}));
      return;
    }
    page.render(main, query);
  }
  document.getElementById('sign-out').addEventListener('click', function () { signOut(); });
  window.addEventListener('hashchange', route);
  route();
})();
