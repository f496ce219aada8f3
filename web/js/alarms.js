/** The alarms card: list with next fire time and last result, add/edit form, enable toggle, delete, snooze/stop. */
import { readinessLine, updateAlarmSafety } from './alarm-safety.js';
import { api } from './api.js';
import { byId, h, show } from './dom.js';
import { DAY_CODES, describeDays, formatFireTime, normaliseTimeInput, weekdayNames } from './format.js';
import { clearErrors, showFieldError } from './forms.js';
import { language, onLanguageChange, t } from './i18n.js';
import { LIKED_URI } from './library-model.js';
import { flash, reportError } from './notices.js';
import { pickName, picks, rememberPick, renderPickChips } from './picks.js';
import { Poller } from './poller.js';
import { devices, library } from './store.js';

const POLL_MS = 15000;
/** While an alarm rings or is snoozed, its state changes quickly: look more often. */
const ACTIVE_POLL_MS = 3000;
/** @type {Poller|undefined} */
let poller;
/** @type {any[]} */
let alarms = [];
/** id of the alarm being edited, or null when adding. */
let editingId = null;
let confirmTimer;

/** Wires the card; returns its poller. */
export function initAlarms() {
  const form = /** @type {HTMLFormElement} */ (byId('alarm-form'));
  byId('alarm-add').addEventListener('click', () => (form.hidden ? openForm(null) : closeForm()));
  byId('alarm-cancel').addEventListener('click', () => closeForm());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save(form);
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeForm();
  });
  const volume = /** @type {HTMLInputElement} */ (byId('alarm-volume'));
  volume.addEventListener('input', () => {
    byId('alarm-volume-out').textContent = volume.value;
  });
  byId('alarm-snooze').addEventListener('click', () => ringingAction('snooze'));
  byId('alarm-stop').addEventListener('click', () => ringingAction('stop'));
  renderDayChips(new Set());
  fillTimezones();
  library.subscribe(() => fillMusicOptions(byId('alarm-context'), currentValue('alarm-context')));
  const chooseAlarmPick = (pick) => fillMusicOptions(byId('alarm-context'), pick.uri);
  picks.subscribe(() => renderPickChips(byId('alarm-picks'), chooseAlarmPick));
  renderPickChips(byId('alarm-picks'), chooseAlarmPick);
  devices.subscribe(() => fillDeviceOptions(currentValue('alarm-device')));
  fillMusicOptions(byId('alarm-context'), LIKED_URI);
  fillDeviceOptions('');
  onLanguageChange(() => {
    render();
    renderDayChips(selectedDays());
    fillMusicOptions(byId('alarm-context'), currentValue('alarm-context'));
    fillDeviceOptions(currentValue('alarm-device'));
    byId('alarm-form-title').textContent = t(editingId ? 'alarmForm.editTitle' : 'alarmForm.addTitle');
  });
  poller = new Poller(load, POLL_MS);
  return poller;
}

/** Reloads the list from the server. */
export async function load() {
  try {
    const body = await api.get('/api/alarms');
    alarms = Array.isArray(body) ? body : Array.isArray(body?.alarms) ? body.alarms : [];
    render();
  } catch (error) {
    reportError(error, load);
  }
}

/** Sounding now (snooze and stop offered). */
function isRinging(alarm) {
  return alarm.state === 'ringing' || alarm.state === 'starting';
}

/** Sounding or snoozed (stop offered). */
function isActive(alarm) {
  return isRinging(alarm) || alarm.state === 'snoozed';
}

function render() {
  const lang = language();
  const list = byId('alarm-list');
  const sorted = [...alarms].sort((a, b) => String(a.time).localeCompare(String(b.time)));
  list.replaceChildren(...sorted.map((alarm) => renderAlarm(alarm, lang)));
  show(byId('alarms-empty'), alarms.length === 0);
  const upcoming = alarms
    .filter((a) => a.enabled && a.next_fire_at)
    .sort((a, b) => Date.parse(a.next_fire_at) - Date.parse(b.next_fire_at))[0];
  byId('alarms-next').textContent = upcoming
    ? t('alarms.next', {
        when: formatFireTime(upcoming.next_fire_at, lang, t, new Date(), upcoming.timezone),
      })
    : alarms.length
      ? t('alarms.none')
      : '';
  const active = alarms.find(isRinging) ?? alarms.find(isActive);
  if (poller) poller.intervalMs = active ? ACTIVE_POLL_MS : POLL_MS;
  show(byId('alarm-ringing'), Boolean(active));
  show(byId('alarm-snooze'), Boolean(active && isRinging(active)));
  byId('alarm-ringing').dataset.id = active?.id ?? '';
  byId('alarm-ringing-title').textContent = t(
    active && !isRinging(active) ? 'alarms.snoozedTitle' : 'alarms.ringing',
  );
  byId('alarm-ringing-label').textContent = active ? `${active.time} ${active.label ?? ''}` : '';
  updateAlarmSafety(alarms);
}

function renderAlarm(alarm, lang) {
  const label = alarm.label || t('alarms.untitled');
  const toggleId = `alarm-enabled-${alarm.id}`;
  const toggle = h('input', {
    id: toggleId,
    type: 'checkbox',
    role: 'switch',
    class: 'switch',
    checked: Boolean(alarm.enabled),
    'aria-label': t('alarms.enable', { label: `${alarm.time} ${label}` }),
  });
  toggle.addEventListener('change', () => setEnabled(alarm, toggle));
  const next =
    alarm.enabled && alarm.next_fire_at
      ? t('alarms.nextFire', {
          when: formatFireTime(alarm.next_fire_at, lang, t, new Date(), alarm.timezone),
        })
      : t('alarms.disabled');
  const result = describeResult(alarm, lang);
  const tested = describeTest(alarm, lang);
  const remove = h('button', {
    type: 'button',
    class: 'button button-small button-quiet',
    text: t('alarms.delete'),
  });
  remove.addEventListener('click', () => confirmDelete(alarm, remove));
  const edit = h('button', {
    type: 'button',
    class: 'button button-small button-quiet',
    text: t('alarms.edit'),
  });
  edit.addEventListener('click', () => openForm(alarm));
  const test = h('button', {
    type: 'button',
    class: 'button button-small button-quiet',
    text: t('alarms.test'),
    disabled: isActive(alarm),
  });
  test.addEventListener('click', () => testRing(alarm));
  return h(
    'li',
    {
      class: `alarm${alarm.enabled ? '' : ' alarm-off'}${isRinging(alarm) ? ' alarm-ringing' : ''}`,
      dataset: { id: alarm.id },
    },
    [
      h('div', { class: 'alarm-main' }, [
        h('span', { class: 'alarm-time', text: alarm.time }),
        h('div', { class: 'alarm-text' }, [
          h('span', { class: 'alarm-label', text: label }),
          h('span', { class: 'alarm-days', text: describeDays(alarm.days, lang, t) }),
        ]),
        toggle,
      ]),
      h('p', { class: 'alarm-next', text: next }),
      result ? h('p', { class: `alarm-result alarm-result-${result.status}`, text: result.text }) : null,
      tested
        ? h('p', { class: `alarm-result alarm-test-result alarm-result-${tested.status}`, text: tested.text })
        : null,
      readinessLine(alarm),
      h('div', { class: 'alarm-actions' }, [test, edit, remove]),
    ],
  );
}

function describeResult(alarm, lang) {
  const last = alarm.last_result;
  if (alarm.state === 'snoozed' && alarm.snoozed_until) {
    return {
      status: 'snoozed',
      text: t('alarms.result.snoozed', { when: formatFireTime(alarm.snoozed_until, lang, t) }),
    };
  }
  if (!last || typeof last !== 'object' || !last.status) return null;
  const when = formatFireTime(last.at ?? last.scheduled_for, lang, t, new Date(), alarm.timezone);
  const key = `alarms.result.${last.status}`;
  const text = t(key, { when, reason: last.reason ?? '' });
  // A speaker that refuses volume played anyway: say so, the person may wonder why it was loud.
  const locked = last.volume_controllable === false ? ` ${t('alarms.result.volumeLocked')}` : '';
  return { status: last.status, text: `${text}${locked}` };
}

/**
 * The latest test ring's outcome, while it is newer than the last real ring: the person who
 * pressed Test wants to know whether the speaker played, and at which volume.
 */
function describeTest(alarm, lang) {
  const test = alarm.last_test;
  if (alarm.testing || !test || typeof test !== 'object' || !test.status) return null;
  const newer = !alarm.last_result?.at || Date.parse(test.at) > Date.parse(alarm.last_result.at);
  if (!newer) return null;
  const when = formatFireTime(test.at, lang, t, new Date(), alarm.timezone);
  const text = t(`alarms.testResult.${test.status}`, {
    when,
    device: test.device ?? '',
    reason: test.reason ?? '',
  });
  const locked = test.volume_controllable === false ? ` ${t('alarms.result.volumeLocked')}` : '';
  return { status: test.status, text: `${text}${locked}` };
}

/** Rings the alarm now through the real wake-up path (`POST /api/alarms/:id/test`). */
async function testRing(alarm) {
  try {
    const updated = await api.post(`/api/alarms/${encodeURIComponent(alarm.id)}/test`);
    if (updated) replaceAlarm(updated);
    flash(t('alarms.testing'));
  } catch (error) {
    reportError(error);
  }
  await load();
}

async function setEnabled(alarm, toggle) {
  try {
    const updated = await api.patch(`/api/alarms/${encodeURIComponent(alarm.id)}`, {
      enabled: toggle.checked,
    });
    replaceAlarm(updated ?? { ...alarm, enabled: toggle.checked });
  } catch (error) {
    toggle.checked = !toggle.checked;
    reportError(error);
    if (error.status === 400) flash(error.message);
  }
}

function confirmDelete(alarm, button) {
  if (button.dataset.confirm !== 'yes') {
    button.dataset.confirm = 'yes';
    button.textContent = t('alarms.confirmDelete');
    button.classList.add('button-danger');
    clearTimeout(confirmTimer);
    confirmTimer = setTimeout(() => {
      button.dataset.confirm = '';
      button.textContent = t('alarms.delete');
      button.classList.remove('button-danger');
    }, 4000);
    return;
  }
  remove(alarm);
}

async function remove(alarm) {
  try {
    await api.del(`/api/alarms/${encodeURIComponent(alarm.id)}`);
    alarms = alarms.filter((a) => a.id !== alarm.id);
    render();
    flash(t('alarms.deleted'));
    byId('alarm-add').focus();
  } catch (error) {
    reportError(error);
  }
}

async function ringingAction(action) {
  const id = byId('alarm-ringing').dataset.id;
  if (!id) return;
  try {
    await api.post(`/api/alarms/${encodeURIComponent(id)}/${action}`);
    flash(t(action === 'snooze' ? 'alarms.snoozed' : 'alarms.stopped'));
  } catch (error) {
    reportError(error);
  }
  await load();
}

function replaceAlarm(updated) {
  alarms = alarms.some((a) => a.id === updated.id)
    ? alarms.map((a) => (a.id === updated.id ? updated : a))
    : [...alarms, updated];
  render();
}

/** "Use for an alarm": opens a new alarm with `item` ({uri, name, kind}) as its music. */
export function useForAlarm(item) {
  rememberPick(item);
  openForm(null);
  fillMusicOptions(byId('alarm-context'), item.uri);
  byId('alarms').scrollIntoView({ block: 'start' });
  input('alarm-time').focus();
}

/** Opens the form empty (add) or filled with `alarm` (edit). */
function openForm(alarm) {
  const form = /** @type {HTMLFormElement} */ (byId('alarm-form'));
  clearErrors(form);
  editingId = alarm?.id ?? null;
  byId('alarm-form-title').textContent = t(alarm ? 'alarmForm.editTitle' : 'alarmForm.addTitle');
  input('alarm-time').value = alarm?.time ?? '';
  input('alarm-label').value = alarm?.label ?? '';
  renderDayChips(new Set(alarm?.days ?? []));
  fillMusicOptions(byId('alarm-context'), alarm?.context_uri ?? LIKED_URI);
  fillDeviceOptions(alarm?.device ?? '');
  input('alarm-volume').value = String(alarm?.volume ?? 50);
  byId('alarm-volume-out').textContent = input('alarm-volume').value;
  input('alarm-fade').value = String(alarm?.fade_in_seconds ?? 30);
  input('alarm-timezone').value = alarm?.timezone ?? browserTimeZone();
  input('alarm-shuffle').checked = Boolean(alarm?.shuffle);
  input('alarm-enabled').checked = alarm ? Boolean(alarm.enabled) : true;
  form.hidden = false;
  byId('alarm-add').setAttribute('aria-expanded', 'true');
  input('alarm-time').focus();
}

function closeForm() {
  byId('alarm-form').hidden = true;
  byId('alarm-add').setAttribute('aria-expanded', 'false');
  editingId = null;
  byId('alarm-add').focus();
}

/** The JSON body for the form; the API validates it and names any bad field. */
function formBody() {
  /** @type {Record<string, unknown>} */
  const body = {
    label: input('alarm-label').value.trim(),
    time: normaliseTimeInput(input('alarm-time').value),
    days: [...selectedDays()],
    context_uri: currentValue('alarm-context'),
    device: currentValue('alarm-device') || null,
    volume: Number(input('alarm-volume').value),
    fade_in_seconds: input('alarm-fade').value === '' ? 0 : Number(input('alarm-fade').value),
    shuffle: input('alarm-shuffle').checked,
    enabled: input('alarm-enabled').checked,
  };
  const zone = input('alarm-timezone').value.trim();
  if (zone) body.timezone = zone;
  return body;
}

async function save(form) {
  clearErrors(form);
  const body = formBody();
  try {
    const saved = editingId
      ? await api.put(`/api/alarms/${encodeURIComponent(editingId)}`, body)
      : await api.post('/api/alarms', body);
    const chosen = /** @type {HTMLSelectElement} */ (byId('alarm-context'));
    const option = chosen.selectedOptions[0];
    if (chosen.value.startsWith('spotify:') && option) rememberPick({ uri: chosen.value, name: option.text });
    if (saved?.id) replaceAlarm(saved);
    else await load();
    flash(t('alarms.created'));
    closeForm();
  } catch (error) {
    if (error.status === 400 || error.status === 404) showFieldError(form, 'alarm', error);
    else reportError(error, () => save(form));
  }
}

function renderDayChips(selected) {
  const names = weekdayNames(language());
  const chips = DAY_CODES.map((code, i) =>
    h('label', { class: 'day-chip' }, [
      h('input', { type: 'checkbox', name: 'days', value: code, checked: selected.has(code) }),
      h('span', { text: names[i] }),
    ]),
  );
  byId('alarm-days').replaceChildren(...chips);
}

function selectedDays() {
  return new Set(
    [...byId('alarm-days').querySelectorAll('input:checked')].map(
      (el) => /** @type {HTMLInputElement} */ (el).value,
    ),
  );
}

/**
 * Fills a music <select> from the library, keeping `selected` even if the library lacks it.
 * @param {HTMLElement} select
 * @param {string} selected
 * @param {string} [emptyLabelKey] adds a first "no music" option with this label
 */
export function fillMusicOptions(select, selected, emptyLabelKey) {
  const data = library.get();
  const options = [];
  if (emptyLabelKey) options.push(h('option', { value: '', text: t(emptyLabelKey) }));
  // The API takes the "liked" keyword for Liked Songs (and resolves the user's collection itself).
  options.push(h('option', { value: LIKED_URI, text: t('music.liked') }));
  if (/^spotify:user:[^:]+:collection$/.test(selected ?? '')) selected = LIKED_URI;
  const recent = picks.get().filter((p) => p.uri !== LIKED_URI);
  const groups = [
    ['music.recent', recent],
    ['music.playlists', data?.playlists ?? []],
    ['music.albums', data?.albums ?? []],
  ];
  for (const [key, items] of groups) {
    if (items.length === 0) continue;
    options.push(
      h(
        'optgroup',
        { label: t(key) },
        items.map((item) => h('option', { value: item.uri, text: item.name })),
      ),
    );
  }
  select.replaceChildren(...options);
  const known = [.../** @type {HTMLSelectElement} */ (select).options].some((o) => o.value === selected);
  if (selected && !known)
    select.append(h('option', { value: selected, text: pickName(selected) || selected }));
  /** @type {HTMLSelectElement} */ (select).value = selected ?? '';
}

function fillDeviceOptions(selected) {
  const select = /** @type {HTMLSelectElement} */ (byId('alarm-device'));
  const list = devices.get();
  const options = [h('option', { value: '', text: t('alarmForm.anyDevice') })];
  for (const device of list) options.push(h('option', { value: device.name, text: device.name }));
  if (selected && !list.some((d) => d.name === selected))
    options.push(h('option', { value: selected, text: selected }));
  select.replaceChildren(...options);
  select.value = selected ?? '';
}

function fillTimezones() {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  byId('timezones').replaceChildren(...zones.map((zone) => h('option', { value: zone })));
  input('alarm-timezone').placeholder = browserTimeZone();
}

/** New alarms ring at the clock time of the phone that set them. */
function browserTimeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
}

function currentValue(id) {
  return /** @type {HTMLSelectElement} */ (byId(id)).value;
}

/** @returns {HTMLInputElement} */
function input(id) {
  return /** @type {HTMLInputElement} */ (byId(id));
}
