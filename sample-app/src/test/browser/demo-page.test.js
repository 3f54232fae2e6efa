// Drives the demo page in headless Chromium: two people join one room and see each other, see
// what the server's listeners saw pushed back to the room, one reacts (a broadcast) and the other
// sees it with the server's count, one changes status and the other sees it, one closes the page
// and the other sees the leave. No request of either page may go unanswered (404).
//
//   DEMO_URL=http://127.0.0.1:8080 node demo-page.test.js
//
// Every wait is a poll with a deadline (Playwright's waitFor / waitForFunction), never a sleep.
// Exits 0 when every step passed, 1 with the failing step, the pages' console and screenshots.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

const DEMO_URL = process.env.DEMO_URL ?? 'http://127.0.0.1:8080'
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SCREENSHOTS = process.env.SCREENSHOT_DIR
const STEP_TIMEOUT_MS = 15_000
const ROOM = 'room_02'

const pageConsole = []
const notFound = []
let step = 'launch Chromium'

function log(message) {
	console.log(`[demo-page] ${message}`)
}

async function run(what, action) {
	step = what
	log(what)
	await action()
}

async function openPage(browser, who) {
	const context = await browser.newContext({ viewport: { width: 900, height: 760 } })
	const page = await context.newPage()
	page.setDefaultTimeout(STEP_TIMEOUT_MS)
	page.on('console', (message) => pageConsole.push(`${who} console.${message.type()}: ${message.text()}`))
	page.on('pageerror', (error) => pageConsole.push(`${who} page error: ${error.message}`))
	page.on('response', (response) => {
		if (response.status() === 404) {
			notFound.push(`${who}: ${response.url()}`)
		}
	})
	await page.goto(DEMO_URL + '/')
	await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' })
	return { context, page }
}

async function joinRoom(page, name) {
	await page.getByTestId('name-input').fill(name)
	await page.getByTestId('room-select').selectOption(ROOM)
	await page.getByTestId('join-button').click()
	await page.locator('[data-testid="connection-status"][data-status="SUBSCRIBED"]').waitFor()
}

function member(page, key) {
	return page.locator(`[data-testid="member"][data-key="${key}"]`)
}

async function memberCount(page, expected) {
	await page.waitForFunction(
		(count) => document.querySelector('[data-testid="member-count"]')?.textContent === String(count),
		expected, { timeout: STEP_TIMEOUT_MS })
}

async function screenshot(page, name) {
	if (SCREENSHOTS) {
		mkdirSync(SCREENSHOTS, { recursive: true })
		await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true })
	}
}

const browser = await chromium.launch({
	executablePath: CHROMIUM,
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
let ada
let grace
try {
	await run('Ada opens the page and joins ' + ROOM, async () => {
		ada = await openPage(browser, 'Ada')
		await joinRoom(ada.page, 'Ada Lovelace')
		await member(ada.page, 'Ada Lovelace').waitFor()
		await memberCount(ada.page, 1)
	})

	await run('Grace opens the page and joins ' + ROOM, async () => {
		grace = await openPage(browser, 'Grace')
		await joinRoom(grace.page, 'Grace Hopper')
	})

	await run('each sees the other', async () => {
		await member(ada.page, 'Grace Hopper').waitFor()
		await member(grace.page, 'Ada Lovelace').waitFor()
		await memberCount(ada.page, 2)
		await memberCount(grace.page, 2)
	})

	await run('the Join button rests once joined to the room chosen', async () => {
		await ada.page.locator('[data-testid="join-button"]:disabled').waitFor()
		await ada.page.getByTestId('room-select').selectOption('room_03')
		await ada.page.locator('[data-testid="join-button"]:enabled').waitFor()
		await ada.page.getByTestId('room-select').selectOption(ROOM)
		await ada.page.locator('[data-testid="join-button"]:disabled').waitFor()
	})

	await run('the server pushes to Ada what its @EventListener saw: Grace came online', async () => {
		await ada.page.getByTestId('server-feed').getByText('Grace Hopper came online').waitFor()
	})

	await run('Grace reacts, and Ada sees the reaction and the count the server keeps', async () => {
		await grace.page.locator('[data-testid="reaction-button"][data-emoji="🎉"]').click()
		await ada.page.getByTestId('activity-log').getByText('Grace Hopper reacted 🎉').waitFor()
		// self: Grace's own page shows it too
		await grace.page.getByTestId('activity-log').getByText('Grace Hopper reacted 🎉').waitFor()
		await ada.page.waitForFunction(
			() => /🎉 [1-9]/.test(document.querySelector('[data-testid="reaction-tally"]')?.textContent ?? ''),
			null, { timeout: STEP_TIMEOUT_MS })
		await screenshot(ada.page, 'ada-sees-grace-react.png')
	})

	await run('Grace becomes busy and Ada sees it', async () => {
		await grace.page.getByTestId('status-select').selectOption('busy')
		const graceOnAdasPage = ada.page.locator('[data-testid="member"][data-key="Grace Hopper"][data-status="busy"]')
		await graceOnAdasPage.waitFor()
		await graceOnAdasPage.getByTestId('member-status').filter({ hasText: 'Busy' }).waitFor()
		await memberCount(ada.page, 2)
		await screenshot(ada.page, 'ada-sees-grace-busy.png')
	})

	await run('Grace closes her page and Ada sees her leave', async () => {
		await grace.context.close()
		grace = undefined
		await member(ada.page, 'Grace Hopper').waitFor({ state: 'detached' })
		await memberCount(ada.page, 1)
		await ada.page.getByTestId('activity-log').getByText('Grace Hopper left').waitFor()
		await ada.page.getByTestId('server-feed').getByText('Grace Hopper went offline').waitFor()
		await screenshot(ada.page, 'ada-after-grace-left.png')
	})

	await run('no request of either page was answered 404', async () => {
		if (notFound.length > 0) {
			throw new Error('404 for ' + notFound.join(', '))
		}
	})

	log('all steps passed')
}
catch (error) {
	console.error(`[demo-page] FAILED at step "${step}": ${error.stack ?? error}`)
	for (const line of pageConsole) {
		console.error(`[demo-page] ${line}`)
	}
	for (const [who, opened] of [['ada', ada], ['grace', grace]]) {
		if (opened) {
			await screenshot(opened.page, `failure-${who}.png`).catch(() => {})
		}
	}
	process.exitCode = 1
}
finally {
	await browser.close()
}
