"""The web simulator: talk to the bot as a member from a browser, with no SMS or Telegram account."""
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from bot.channels import CHANNELS
from bot.channels.console import Console

PAGE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>clusterbot simulator</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font-family:sans-serif;max-width:36em;margin:1em auto;padding:0 1em}
 #log div{white-space:pre-wrap;margin:.4em 0;padding:.4em .6em;border-radius:.5em}
 .me{background:#dcf8c6;margin-left:4em!important}.bot{background:#eee;margin-right:4em!important}
 button.choice{margin:.2em}
</style>
<h1>clusterbot simulator</h1>
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
  const response = await fetch("simulator", {method: "POST", headers: {"Content-Type": "application/json"},
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
}
document.getElementById("form").onsubmit = (e) => { e.preventDefault(); const t = text.value; text.value = ""; send(t); };
</script>
</html>"""


def routes(services) -> list[Route]:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    async def send(request: Request) -> JSONResponse:
        try:
            body = await request.json()
            address, style, text = str(body["address"]).strip(), body.get("style", "sms"), str(body["text"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "send JSON with address and text"}, status_code=400)
        if style not in CHANNELS or not address:
            return JSONResponse({"error": "style is sms or telegram; address is a phone"}, status_code=400)
        console = Console(services.engine, services.factory, address, style)
        shown = await run_in_threadpool(console.send_for_web, text)
        return JSONResponse({"replies": shown})

    return [Route("/simulator", page), Route("/simulator", send, methods=["POST"])]
