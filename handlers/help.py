"""HELP, and the short hint for messages the bot does not understand."""
from handlers.turn import Turn
from locales.i18n import keyword_word


def show(turn: Turn) -> None:
    """Lists what the member can do, in at most two SMS."""
    words = {k: keyword_word(k, turn.lang)
             for k in ("join", "me", "lang", "menu", "delete", "sell", "buy", "offers", "price",
                       "need", "find")}
    if turn.member.registered:
        turn.say(turn._(
            "{sell} or {buy} product, quantity, price: trade. {offers}: your listings. "
            "{price} product: market prices. "
            "{find} what: suppliers and services. {need} skill: training. {me}: your profile. "
            "{lang} sw/en/fr/pt: language. "
            "{menu}: menu. {delete}: delete your data. STOP: no more messages.", **words))
    else:
        turn.say(turn._(
            "Send {join} to register with your cluster network. {lang} sw/en/fr/pt: language. "
            "{menu}: menu. STOP: no more messages.", **words))


def hint(turn: Turn) -> None:
    """Answers a message that is no command and no answer, with what to send instead."""
    if turn.member.registered:
        turn.say(turn._("Sorry, I did not understand. Send {help} for what you can do, or {menu}.",
                        help=keyword_word("help", turn.lang), menu=keyword_word("menu", turn.lang)))
    else:
        turn.say(turn._("Welcome to the cluster network! Send {join} to register, or {help} for help.",
                        join=keyword_word("join", turn.lang), help=keyword_word("help", turn.lang)))

KEYWORDS = {"help": show}
