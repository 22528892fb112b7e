"""The web simulator: talk to the bot as a member from a browser, with no SMS or Telegram account.

It acts as any member it is told to be, so it only answers the person at this machine (requests
from the loopback address, with no proxy in between, sent as JSON: a page on another site cannot
send that without asking first, and we never say yes) or a signed-in dashboard admin (whose
messages carry the session's CSRF token). While a channel is configured, a message typed here can
reach real phones, so it is then for admins only, unless the operator opens it to this machine
with CLUSTERBOT_SIMULATOR=1.
"""
import ipaddress
import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.bodies import read_body
from bot.channels import sms, telegram
from bot.channels.console import Console, nothing_leaves, session_start
from bot.phones import read_address
from bot.settings import Settings
from bot.web import access
from handlers.budget import CHANNELS
from storage.db import unit_of_work

MAX_BODY = 4096  # bytes: an address, a style and a message of at most ten SMS
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
NOT_FOUND = Response("Not Found", status_code=404)


PAGE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>clusterbot simulator</title>
<meta name="csrf" content="<!--csrf-->">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font-family:sans-serif;max-width:36em;margin:1em auto;padding:0 1em}
 #log div{white-space:pre-wrap;margin:.4em 0;padding:.4em .6em;border-radius:.5em}
 .me{background:#dcf8c6;margin-left:4em!important}.bot{background:#eee;margin-right:4em!important}
 .other{background:#fff3cd;margin:0 2em!important}
 button.choice{margin:.2em}
</style>
<h1>clusterbot simulator</h1>
<!--about-->
<p><label>Phone <input id="address" value="+254722000002"></label>
<label><select id="style"><option>sms</option><option>telegram</option></select></label></p>
<div id="log"></div>
<form id="form"><input id="text" autofocus autocomplete="off" size="30"> <button>Send</button></form>
<script>
const log = document.getElementById("log");
function show(text, who) {
  const div = document.createElement("div"); div.className = who; div.textContent = text;
  log.appendChild(div); return div;
}
async function send(text) {
  show(text, "me");
  const response = await fetch("simulator", {method: "POST", headers: {"Content-Type": "application/json",
    "X-CSRF-Token": document.querySelector("meta[name=csrf]").content},
    body: JSON.stringify({address: address.value, style: style.value, text: text})});
  const data = await response.json();
  if (data.error) { show(data.error, "bot"); return; }
  for (const reply of data.replies) {
    const div = show(reply.text, "bot");
    reply.buttons.forEach((label, i) => {
      const b = document.createElement("button"); b.className = "choice"; b.textContent = label;
      b.onclick = () => send(String(i + 1)); div.appendChild(document.createElement("br")); div.appendChild(b);
    });
  }
  for (const other of data.others) {
    const labels = other.buttons.map((label) => "[" + label + "]").join("  ");
    show("[to " + other.to + "] " + other.text + (labels ? "\\n" + labels : ""), "other");
  }
}
document.getElementById("form").onsubmit = (e) => { e.preventDefault(); const t = text.value; text.value = ""; send(t); };
</script>
</html>"""


ABOUT = """<p>What the bot sends to phones (a match, an invitation, a broadcast) is shown too, in
yellow, marked with the phone: nothing can send it while no channel is configured. Change the
phone to answer as that member.</p>"""


def routes(services) -> list[Route]:
    settings = services.settings
    # While nothing can leave the machine, what the bot queues for phones from the moment the
    # page is opened (or first used) is shown on it too.
    local = nothing_leaves(settings)
    started: list[int] = []

    async def allowed(request: Request, posting: bool) -> bool:
        if is_open(settings, request):
            return True
        admin = await run_in_threadpool(admin_signed_in, services, request)
        return admin and (not posting or access.csrf_ok(request, None))

    async def page(request: Request) -> Response:
        if not await allowed(request, posting=False):
            return NOT_FOUND
        if local:
            started[:] = [await run_in_threadpool(session_start, services.factory)]
        return HTMLResponse(PAGE.replace("<!--about-->", ABOUT if local else "")
                            .replace("<!--csrf-->", access.csrf_token(request)))

    async def send(request: Request) -> Response:
        if not await allowed(request, posting=True):
            return NOT_FOUND
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "send JSON"}, status_code=415)
        try:
            body = await read_json(request)
            address, style, text = str(body["address"]), body.get("style", "sms"), str(body["text"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "send JSON with address and text"}, status_code=400)
        if style not in CHANNELS:
            return JSONResponse({"error": "style is sms or telegram"}, status_code=400)
        who = read_address(address, settings.default_country)
        if who is None:
            return JSONResponse({"error": "address is a phone number or tg:123456"}, status_code=400)
        phone, telegram_id = who
        if local and not started:
            started.append(await run_in_threadpool(session_start, services.factory))
        console = Console(services.engine, services.factory, phone or f"tg:{telegram_id}", style,
                          others_after=started[0] if local else None)
        return JSONResponse(await run_in_threadpool(console.send_for_web, text))

    return [Route("/simulator", page), Route("/simulator", send, methods=["POST"])]


def admin_signed_in(services, request: Request) -> bool:
    with unit_of_work(services.factory) as session:
        account = access.signed_in(request, session, services.settings.dashboard_idle_minutes * 60)
        return bool(account and account.is_admin)


def is_open(settings: Settings, request: Request) -> bool:
    """Open to this machine's user; with a channel configured, only when the operator said so."""
    channel_configured = sms.configured(settings) or telegram.configured(settings)
    if channel_configured and not settings.simulator:
        return False
    return from_this_machine(request)


def from_this_machine(request: Request) -> bool:
    """A request from the loopback address, to a loopback name, not relayed by a proxy (a proxy
    on this machine would make every visitor look local; the headers it adds give it away).
    The Host is checked too, so a site whose name is made to point at 127.0.0.1 is refused."""
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    return is_loopback(request.client.host if request.client else "") and (
        request.url.hostname == "localhost" or is_loopback(request.url.hostname or ""))


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def read_json(request: Request) -> dict:
    """The request's JSON object, read no further than MAX_BODY bytes (else 413)."""
    data = json.loads(await read_body(request, MAX_BODY))
    if not isinstance(data, dict):
        raise TypeError("not an object")
    return data
