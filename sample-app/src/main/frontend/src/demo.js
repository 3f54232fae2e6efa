// The demo page: join a room, see who is here, change your status, send reactions, and
// see what the Spring app's listeners saw, pushed back over the same channel.
// Everything on the wire is done by the unmodified @supabase/supabase-js client.
import { createClient } from '@supabase/supabase-js'

// Presence is served on this page's own origin, or, when the server runs it on its
// Reactor Netty transport (presence.server.port), on that port of the same host
const supabase = fetch('/demo-settings.json')
	.then((response) => (response.ok ? response.json() : {}))
	.catch(() => ({}))
	.then((settings) => {
		const origin = settings.presencePort
			? `${window.location.protocol}//${window.location.hostname}:${settings.presencePort}`
			: window.location.origin
		return createClient(origin, 'demo-key')
	})

const AVATAR_COLOURS = ['#3b6cf6', '#22a06b', '#d64545', '#8a5cf6', '#e2760a', '#0e9aa7', '#c2417a', '#5b6b82']
const STATUS_LABELS = { online: 'Online', away: 'Away', busy: 'Busy', 'in a meeting': 'In a meeting' }

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`)

const ui = {
	form: byTestId('join-form'),
	name: byTestId('name-input'),
	room: byTestId('room-select'),
	panel: byTestId('room-panel'),
	title: byTestId('room-title'),
	connection: byTestId('connection-status'),
	status: byTestId('status-select'),
	leave: byTestId('leave-button'),
	count: byTestId('member-count'),
	members: byTestId('member-list'),
	activity: byTestId('activity-log'),
	join: byTestId('join-button'),
	reactions: document.querySelectorAll('[data-testid="reaction-button"]'),
	floating: byTestId('floating-reactions'),
	tally: byTestId('reaction-tally'),
	serverPanel: byTestId('server-panel'),
	serverFeed: byTestId('server-feed'),
}

/** The room this page is in: its channel and what it tracks there. */
let current = null

function randomId() {
	return 'guest-' + Math.random().toString(36).slice(2, 8)
}

async function joinRoom(room, name) {
	await leaveRoom()
	const key = name || randomId()
	const me = { key, name: name || 'Guest ' + key.slice(-4), status: ui.status.value }
	// self: a reaction shows on the sender's page too, when the server has taken it
	const channel = (await supabase).channel(room, { config: { presence: { key }, broadcast: { self: true } } })
	current = { room, channel, me }

	channel
		.on('presence', { event: 'sync' }, () => render(channel, me))
		.on('presence', { event: 'join' }, ({ key: joinedKey, currentPresences, newPresences }) => {
			const name = displayName(joinedKey, newPresences)
			if (currentPresences.length === 0) {
				if (joinedKey !== me.key) { // "You joined" is already in the log
					log(`${name} joined`)
				}
			}
			else if (newPresences.length > 0) {
				log(`${name} is ${STATUS_LABELS[newPresences[0].status] ?? newPresences[0].status}`)
			}
		})
		.on('presence', { event: 'leave' }, ({ key: leftKey, currentPresences, leftPresences }) => {
			if (currentPresences.length === 0) {
				log(`${displayName(leftKey, leftPresences)} left`)
			}
		})
		.on('broadcast', { event: 'reaction' }, ({ payload }) => showReaction(payload))
		.on('broadcast', { event: 'reaction-tally' }, ({ payload }) => showTally(payload.counts))
		.on('broadcast', { event: 'server-activity' }, ({ payload }) => serverLog(payload))
		.subscribe(async (status) => {
			showConnection(status)
			if (status === 'SUBSCRIBED' && current?.channel === channel) {
				await track(channel, me)
			}
		})

	ui.title.textContent = room
	ui.panel.hidden = false
	ui.serverPanel.hidden = false
	ui.members.replaceChildren()
	ui.activity.replaceChildren()
	ui.serverFeed.replaceChildren()
	ui.tally.textContent = ''
	ui.count.textContent = '0'
	log(`You joined ${room} as ${me.name}`)
	updateJoinButton()
}

async function leaveRoom() {
	if (!current) {
		return
	}
	const { channel } = current
	current = null
	await (await supabase).removeChannel(channel)
	ui.panel.hidden = true
	ui.serverPanel.hidden = true
	showConnection('CLOSED')
	updateJoinButton()
}

/** Join is for another room or another name than the current one; it rests while they are the same. */
function updateJoinButton() {
	const same = current !== null && current.room === ui.room.value
		&& (ui.name.value.trim() === '' || ui.name.value.trim() === current.me.key)
	ui.join.disabled = same
	ui.join.textContent = current === null ? 'Join' : 'Switch'
}

function sendReaction(emoji) {
	if (current) {
		current.channel.send({ type: 'broadcast', event: 'reaction', payload: { emoji, name: current.me.name } })
	}
}

function showReaction({ emoji, name }) {
	if (typeof emoji !== 'string') {
		return
	}
	const bubble = document.createElement('span')
	bubble.textContent = emoji
	bubble.style.left = `${10 + Math.random() * 80}%`
	bubble.addEventListener('animationend', () => bubble.remove())
	ui.floating.append(bubble)
	log(`${typeof name === 'string' ? name : 'Someone'} reacted ${emoji}`)
}

function showTally(counts) {
	if (counts && typeof counts === 'object') {
		ui.tally.textContent = Object.entries(counts).map(([emoji, count]) => `${emoji} ${count}`).join('  ')
	}
}

function serverLog({ text, online, source }) {
	if (typeof text !== 'string') {
		return
	}
	const entry = document.createElement('li')
	const time = document.createElement('time')
	time.textContent = new Date().toLocaleTimeString()
	entry.append(time, `${source ?? 'server'}: ${text}` + (typeof online === 'number' ? ` (${online} online)` : ''))
	ui.serverFeed.prepend(entry)
}

function track(channel, me) {
	return channel.track({ name: me.name, status: me.status, online_at: new Date().toISOString() })
}

function render(channel, me) {
	const state = channel.presenceState()
	const keys = Object.keys(state).sort((a, b) => displayName(a, state[a]).localeCompare(displayName(b, state[b])))
	const items = keys.map((key) => memberItem(key, state[key], key === me.key))
	ui.members.replaceChildren(...items)
	if (items.length === 0) {
		const empty = document.createElement('li')
		empty.className = 'empty'
		empty.textContent = 'Nobody here yet.'
		ui.members.append(empty)
	}
	ui.count.textContent = String(keys.length)
}

function memberItem(key, presences, isMe) {
	// A key holds one presence per open tab; the latest one says the current status.
	const latest = presences[presences.length - 1] ?? {}
	const name = displayName(key, presences)
	const status = latest.status ?? 'online'

	const item = document.createElement('li')
	item.className = 'member'
	item.dataset.testid = 'member'
	item.dataset.key = key
	item.dataset.status = status

	const avatar = document.createElement('span')
	avatar.className = 'avatar'
	avatar.style.background = colourOf(key)
	avatar.textContent = initialsOf(name)
	avatar.setAttribute('aria-hidden', 'true')

	const text = document.createElement('span')
	text.className = 'member-text'
	const nameLine = document.createElement('span')
	nameLine.className = 'member-name'
	nameLine.dataset.testid = 'member-name'
	nameLine.textContent = name
	if (isMe) {
		const you = document.createElement('span')
		you.className = 'you'
		you.textContent = 'you'
		nameLine.append(you)
	}
	const statusLine = document.createElement('span')
	statusLine.className = 'member-status'
	statusLine.dataset.testid = 'member-status'
	statusLine.textContent = STATUS_LABELS[status] ?? status
	text.append(nameLine, statusLine)

	item.append(avatar, text)
	if (presences.length > 1) {
		const tabs = document.createElement('span')
		tabs.className = 'tabs'
		tabs.textContent = `${presences.length} tabs`
		item.append(tabs)
	}
	return item
}

function displayName(key, presences) {
	const named = presences.find((presence) => typeof presence.name === 'string' && presence.name.trim() !== '')
	return named ? named.name : key
}

function initialsOf(name) {
	const words = name.trim().split(/[\s_.-]+/).filter(Boolean)
	const letters = words.length > 1 ? words[0][0] + words[words.length - 1][0] : name.slice(0, 2)
	return letters.toUpperCase()
}

function colourOf(key) {
	let hash = 0
	for (const char of key) {
		hash = (hash * 31 + char.codePointAt(0)) >>> 0
	}
	return AVATAR_COLOURS[hash % AVATAR_COLOURS.length]
}

function showConnection(status) {
	const labels = {
		SUBSCRIBED: 'Connected',
		CHANNEL_ERROR: 'Connection error, retrying…',
		TIMED_OUT: 'Timed out, retrying…',
		CLOSED: 'Not connected',
	}
	ui.connection.dataset.status = status
	ui.connection.textContent = labels[status] ?? status
}

function log(message) {
	const entry = document.createElement('li')
	const time = document.createElement('time')
	time.textContent = new Date().toLocaleTimeString()
	entry.append(time, message)
	ui.activity.prepend(entry)
}

ui.form.addEventListener('submit', (event) => {
	event.preventDefault()
	joinRoom(ui.room.value, ui.name.value.trim())
})

ui.leave.addEventListener('click', () => leaveRoom())

ui.room.addEventListener('change', updateJoinButton)
ui.name.addEventListener('input', updateJoinButton)

for (const button of ui.reactions) {
	button.addEventListener('click', () => sendReaction(button.dataset.emoji))
}

ui.status.addEventListener('change', () => {
	if (current) {
		current.me.status = ui.status.value
		track(current.channel, current.me)
	}
})

// Prefill from the address (?room=room_01&name=Ada), so a link can invite someone.
const params = new URLSearchParams(window.location.search)
if (params.has('name')) {
	ui.name.value = params.get('name')
}
if (params.has('room') && [...ui.room.options].some((option) => option.value === params.get('room'))) {
	ui.room.value = params.get('room')
}
document.documentElement.dataset.ready = 'true'
