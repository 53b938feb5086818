"""Plain words for the letter: what each kind of help is, and what the Victims' Code gives.

Written for a reading age of about 9: short sentences, everyday words, "you" and "we". The
tests hold the whole letter to that (a Flesch–Kincaid grade, ``tests/router/letters``).
"""

from __future__ import annotations

from graph.vocabulary import ContactChannel, Need

HELP: dict[Need, str] = {
    Need.HEALTH: "help with your health",
    Need.ACCOMMODATION: "help with where you live",
    Need.FAMILY: "help you and your family",
    Need.EMPLOYMENT_EDUCATION: "help with work, school or college",
    Need.SUBSTANCE_MISUSE: "help with drink or drugs",
    Need.FINANCE: "help with money, bills and benefits",
    Need.OUTLOOK: "help you feel better about the days ahead",
    Need.SOCIAL: "help you feel less alone",
    Need.INFORMATION_RIGHTS: "tell you your rights and what will happen next",
    Need.EMOTIONAL_SUPPORT: "listen to you and talk about how you feel",
    Need.PRACTICAL_SUPPORT: "help with things like forms, calls and getting places",
    Need.DOMESTIC_ABUSE_ADVOCACY: "help you stay safe and plan what to do next",
    Need.SEXUAL_VIOLENCE_ADVOCACY: "stay by your side after a sexual attack",
    Need.FORENSIC_MEDICAL: "give you care from a nurse or doctor, in private",
    Need.HOME_SECURITY: "make your home safer, for example with new locks",
    Need.REFUGE: "find you a safe place to stay",
    Need.TRAUMA_COUNSELLING: "talk with you to help you get over what happened",
    Need.BEREAVEMENT_SUPPORT: "help you after the death of someone close to you",
    Need.COURT_SUPPORT: "help you if you go to court",
    Need.MENTAL_HEALTH_CRISIS: "help you fast if you feel very unwell in your mind",
    Need.HATE_CRIME_ADVOCACY: "help you after someone picked on you for who you are",
    Need.YOUNG_VICTIM_SUPPORT: "help children and young people",
}
"""What a service does for each need, as the end of "They can …"."""

CHANNELS: dict[ContactChannel, str] = {
    ContactChannel.PHONE: "a phone call",
    ContactChannel.TEXT: "a text message",
    ContactChannel.EMAIL: "an email",
    ContactChannel.LETTER: "a letter",
    ContactChannel.IN_PERSON: "a visit",
}

RIGHTS: tuple[str, ...] = (
    "You can have help to understand and be understood, such as someone who speaks your language.",
    "You can get help from a support service, even if you did not tell the police.",
    "You can be told what is going on with your case, if you told the police.",
    "You can say in your own words how the crime has hurt you. This is called a Victim "
    "Personal Statement.",
    "You can ask if you can get money for what happened to you.",
    "You can complain if you did not get these rights.",
)
"""The Victims' Code (Code of Practice for Victims of Crime in England and Wales), in short."""

ENHANCED = (
    "Because of what happened to you, you can get extra help. For example, you should hear "
    "news about your case sooner."
)
