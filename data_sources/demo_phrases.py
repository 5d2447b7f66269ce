"""Phrase banks for the demo simulator: what customers write, per language, theme and polarity.

Data only. Each entry is a short clause as a native speaker would write it in
a survey comment; the simulator joins one or two of them, with a contrast word
between a positive and a negative one.
"""

from __future__ import annotations

THEMES = ("delivery", "packaging", "price", "service", "quality", "returns", "checkout", "payment")

#: language -> theme -> (positive clauses, negative clauses)
PHRASES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "en": {
        "delivery": (
            (
                "delivery was really fast",
                "the parcel arrived a day early",
                "the courier was friendly and on time",
            ),
            (
                "the delivery took over a week",
                "my parcel arrived three days late",
                "nobody told me the delivery was delayed",
            ),
        ),
        "packaging": (
            ("everything was well packed", "nice packaging without too much plastic"),
            ("the box was damaged when it arrived", "far too much packaging for a small item"),
        ),
        "price": (
            ("great value for money", "the prices are fair"),
            ("too expensive for what you get", "the price went up right after I ordered"),
        ),
        "service": (
            ("customer service solved my problem in minutes", "the support team was very helpful"),
            ("customer service never answered my email", "I waited 40 minutes on the phone"),
        ),
        "quality": (
            ("the quality is excellent", "the product feels solid and well made"),
            ("the product broke after two days", "the quality is much worse than in the photos"),
        ),
        "returns": (
            ("the return was easy and the refund came quickly", "returning the item was painless"),
            ("I am still waiting for my refund", "the return process is far too complicated"),
        ),
        "checkout": (
            ("the website is easy to use", "checkout took less than a minute"),
            (
                "the website kept crashing at checkout",
                "I could not find the discount field on the site",
            ),
        ),
        "payment": (
            ("paying with PayPal was quick", "lots of payment options"),
            ("my card was charged twice", "the payment failed three times"),
        ),
    },
    "de": {
        "delivery": (
            (
                "die Lieferung war super schnell",
                "das Paket kam einen Tag früher als angekündigt",
                "der Bote war pünktlich und freundlich",
            ),
            (
                "die Lieferung hat über eine Woche gedauert",
                "mein Paket kam drei Tage zu spät",
                "niemand hat mir gesagt, dass sich die Lieferung verzögert",
            ),
        ),
        "packaging": (
            ("alles war gut verpackt", "schöne Verpackung ohne unnötiges Plastik"),
            ("der Karton war beschädigt", "viel zu viel Verpackung für einen kleinen Artikel"),
        ),
        "price": (
            ("super Preis-Leistungs-Verhältnis", "die Preise sind fair"),
            (
                "viel zu teuer für die Qualität",
                "der Preis wurde kurz nach meiner Bestellung erhöht",
            ),
        ),
        "service": (
            (
                "der Kundenservice hat mir sofort geholfen",
                "sehr freundlicher und kompetenter Support",
            ),
            (
                "der Kundenservice hat nie auf meine E-Mail geantwortet",
                "ich hing 40 Minuten in der Warteschleife",
            ),
        ),
        "quality": (
            ("die Qualität ist hervorragend", "das Produkt ist sehr gut verarbeitet"),
            (
                "das Produkt war nach zwei Tagen kaputt",
                "die Qualität ist viel schlechter als auf den Fotos",
            ),
        ),
        "returns": (
            (
                "die Rücksendung war einfach und das Geld kam schnell zurück",
                "Retoure ohne Probleme",
            ),
            (
                "ich warte immer noch auf meine Erstattung",
                "die Rücksendung ist viel zu kompliziert",
            ),
        ),
        "checkout": (
            ("die Website ist übersichtlich", "die Bestellung ging ganz schnell"),
            (
                "die Seite ist beim Bezahlen ständig abgestürzt",
                "der Gutscheincode wurde auf der Website nicht angenommen",
            ),
        ),
        "payment": (
            ("Bezahlung mit Klarna ging problemlos", "viele Zahlungsmöglichkeiten"),
            ("meine Karte wurde doppelt belastet", "die Zahlung ist dreimal fehlgeschlagen"),
        ),
    },
    "fr": {
        "delivery": (
            (
                "livraison très rapide",
                "le colis est arrivé un jour en avance",
                "le livreur était ponctuel et aimable",
            ),
            (
                "la livraison a pris plus d'une semaine",
                "mon colis est arrivé avec trois jours de retard",
                "personne ne m'a prévenu du retard de livraison",
            ),
        ),
        "packaging": (
            ("tout était bien emballé", "emballage soigné sans plastique inutile"),
            (
                "le carton était abîmé à l'arrivée",
                "beaucoup trop d'emballage pour un petit article",
            ),
        ),
        "price": (
            ("excellent rapport qualité-prix", "les prix sont corrects"),
            ("beaucoup trop cher pour ce que c'est", "le prix a augmenté juste après ma commande"),
        ),
        "service": (
            (
                "le service client a réglé mon problème en quelques minutes",
                "conseillère très aimable et efficace",
            ),
            (
                "le service client n'a jamais répondu à mon e-mail",
                "j'ai attendu 40 minutes au téléphone",
            ),
        ),
        "quality": (
            ("la qualité est excellente", "le produit est solide et bien fini"),
            (
                "le produit s'est cassé au bout de deux jours",
                "la qualité est bien pire que sur les photos",
            ),
        ),
        "returns": (
            ("le retour était simple et le remboursement rapide", "retour sans aucun souci"),
            (
                "j'attends toujours mon remboursement",
                "la procédure de retour est bien trop compliquée",
            ),
        ),
        "checkout": (
            ("le site est facile à utiliser", "commande passée en une minute"),
            (
                "le site plantait au moment de payer",
                "impossible d'utiliser mon code promo sur le site",
            ),
        ),
        "payment": (
            ("paiement rapide et sécurisé", "plusieurs moyens de paiement"),
            ("ma carte a été débitée deux fois", "le paiement a échoué trois fois"),
        ),
    },
    "nl": {
        "delivery": (
            (
                "de levering was supersnel",
                "het pakket kwam een dag eerder dan verwacht",
                "de bezorger was vriendelijk en op tijd",
            ),
            (
                "de levering duurde meer dan een week",
                "mijn pakket kwam drie dagen te laat",
                "niemand liet weten dat de bezorging vertraagd was",
            ),
        ),
        "packaging": (
            ("alles was goed verpakt", "mooie verpakking zonder overbodig plastic"),
            ("de doos was beschadigd", "veel te veel verpakking voor een klein artikel"),
        ),
        "price": (
            ("prima prijs-kwaliteitverhouding", "de prijzen zijn eerlijk"),
            ("veel te duur voor wat je krijgt", "de prijs ging omhoog vlak na mijn bestelling"),
        ),
        "service": (
            ("de klantenservice hielp me binnen een paar minuten", "zeer behulpzame medewerker"),
            (
                "de klantenservice heeft nooit op mijn mail gereageerd",
                "ik heb 40 minuten in de wacht gestaan",
            ),
        ),
        "quality": (
            ("de kwaliteit is uitstekend", "het product voelt stevig en degelijk aan"),
            (
                "het product was na twee dagen kapot",
                "de kwaliteit is veel slechter dan op de foto's",
            ),
        ),
        "returns": (
            ("retourneren was makkelijk en ik kreeg snel mijn geld terug", "retour zonder gedoe"),
            (
                "ik wacht nog steeds op mijn terugbetaling",
                "het retourproces is veel te ingewikkeld",
            ),
        ),
        "checkout": (
            ("de website is overzichtelijk", "afrekenen ging heel snel"),
            ("de website liep vast bij het afrekenen", "mijn kortingscode werkte niet op de site"),
        ),
        "payment": (
            ("betalen met iDEAL ging vlot", "genoeg betaalmogelijkheden"),
            ("mijn kaart is twee keer afgeschreven", "de betaling mislukte drie keer"),
        ),
    },
    "sv": {
        "delivery": (
            (
                "leveransen gick jättesnabbt",
                "paketet kom en dag tidigare än utlovat",
                "budet var trevligt och i tid",
            ),
            (
                "leveransen tog över en vecka",
                "mitt paket kom tre dagar för sent",
                "ingen meddelade att leveransen var försenad",
            ),
        ),
        "packaging": (
            ("allt var väl förpackat", "snygg förpackning utan onödig plast"),
            (
                "kartongen var skadad när den kom",
                "alldeles för mycket förpackning för en liten vara",
            ),
        ),
        "price": (
            ("mycket prisvärt", "priserna är rimliga"),
            ("alldeles för dyrt för kvaliteten", "priset höjdes direkt efter min beställning"),
        ),
        "service": (
            ("kundtjänst löste mitt problem på några minuter", "mycket hjälpsam support"),
            ("kundtjänst svarade aldrig på mitt mejl", "jag väntade 40 minuter i telefonkö"),
        ),
        "quality": (
            ("kvaliteten är utmärkt", "produkten känns stabil och välgjord"),
            ("produkten gick sönder efter två dagar", "kvaliteten är mycket sämre än på bilderna"),
        ),
        "returns": (
            ("returen var enkel och pengarna kom snabbt tillbaka", "smidig retur"),
            (
                "jag väntar fortfarande på min återbetalning",
                "returprocessen är alldeles för krånglig",
            ),
        ),
        "checkout": (
            ("hemsidan är lätt att använda", "det gick snabbt att beställa"),
            ("sidan kraschade hela tiden vid betalningen", "rabattkoden fungerade inte på sidan"),
        ),
        "payment": (
            ("smidig betalning med Swish", "många betalningsalternativ"),
            ("mitt kort drogs två gånger", "betalningen misslyckades tre gånger"),
        ),
    },
    "da": {
        "delivery": (
            (
                "leveringen gik meget hurtigt",
                "pakken kom en dag før tid",
                "budet var venligt og kom til tiden",
            ),
            (
                "leveringen tog over en uge",
                "min pakke kom tre dage for sent",
                "ingen fortalte mig at leveringen var forsinket",
            ),
        ),
        "packaging": (
            ("alt var godt pakket ind", "pæn emballage uden unødvendig plastik"),
            ("kassen var beskadiget ved levering", "alt for meget emballage til en lille vare"),
        ),
        "price": (
            ("rigtig god pris for kvaliteten", "priserne er fornuftige"),
            ("alt for dyrt i forhold til kvaliteten", "prisen steg lige efter min bestilling"),
        ),
        "service": (
            ("kundeservice løste mit problem på få minutter", "meget hjælpsom medarbejder"),
            ("kundeservice svarede aldrig på min mail", "jeg ventede 40 minutter i telefonkø"),
        ),
        "quality": (
            ("kvaliteten er fremragende", "produktet føles solidt og vellavet"),
            (
                "produktet gik i stykker efter to dage",
                "kvaliteten er meget dårligere end på billederne",
            ),
        ),
        "returns": (
            ("returneringen var nem og pengene kom hurtigt retur", "nem returnering"),
            ("jeg venter stadig på min refusion", "returneringen er alt for besværlig"),
        ),
        "checkout": (
            ("hjemmesiden er nem at bruge", "det gik hurtigt at bestille"),
            ("siden gik ned hver gang jeg skulle betale", "min rabatkode virkede ikke på siden"),
        ),
        "payment": (
            ("betaling med MobilePay gik nemt", "mange betalingsmuligheder"),
            ("mit kort blev trukket to gange", "betalingen fejlede tre gange"),
        ),
    },
    "nb": {
        "delivery": (
            ("leveringen gikk veldig raskt", "pakken kom en dag tidligere enn lovet"),
            ("leveringen tok over en uke", "pakken min kom tre dager for sent"),
        ),
        "packaging": (("alt var godt pakket",), ("esken var skadet da den kom",)),
        "price": (("veldig god pris",), ("altfor dyrt for det man får",)),
        "service": (
            ("kundeservice løste problemet mitt på noen minutter",),
            ("kundeservice svarte aldri på e-posten min",),
        ),
        "quality": (("kvaliteten er utmerket",), ("produktet ble ødelagt etter to dager",)),
        "returns": (("returen var enkel",), ("jeg venter fortsatt på tilbakebetalingen",)),
        "checkout": (("nettsiden er enkel å bruke",), ("nettsiden krasjet da jeg skulle betale",)),
        "payment": (("betaling med Vipps gikk greit",), ("kortet mitt ble belastet to ganger",)),
    },
    "fi": {
        "delivery": (
            ("toimitus oli todella nopea", "paketti tuli päivän etuajassa"),
            ("toimitus kesti yli viikon", "pakettini tuli kolme päivää myöhässä"),
        ),
        "packaging": (("kaikki oli hyvin pakattu",), ("laatikko oli vaurioitunut",)),
        "price": (("hinta-laatusuhde on erinomainen",), ("aivan liian kallis laatuun nähden",)),
        "service": (
            ("asiakaspalvelu ratkaisi ongelmani muutamassa minuutissa",),
            ("asiakaspalvelu ei koskaan vastannut sähköpostiini",),
        ),
        "quality": (("laatu on erinomainen",), ("tuote hajosi kahden päivän jälkeen",)),
        "returns": (("palautus oli helppo",), ("odotan yhä hyvitystä",)),
        "checkout": (("verkkosivu on helppokäyttöinen",), ("sivusto kaatui maksun aikana",)),
        "payment": (("maksaminen oli helppoa",), ("korttiani veloitettiin kahdesti",)),
    },
    "it": {
        "delivery": (
            (
                "consegna velocissima",
                "il pacco è arrivato un giorno prima del previsto",
                "il corriere è stato puntuale e gentile",
            ),
            (
                "la consegna ha richiesto più di una settimana",
                "il mio pacco è arrivato con tre giorni di ritardo",
                "nessuno mi ha avvisato del ritardo",
            ),
        ),
        "packaging": (
            ("tutto era imballato con cura", "confezione curata senza plastica inutile"),
            (
                "la scatola è arrivata danneggiata",
                "troppo imballaggio per un articolo così piccolo",
            ),
        ),
        "price": (
            ("ottimo rapporto qualità-prezzo", "prezzi onesti"),
            ("troppo caro per quello che offre", "il prezzo è aumentato subito dopo il mio ordine"),
        ),
        "service": (
            (
                "il servizio clienti ha risolto il problema in pochi minuti",
                "operatore molto disponibile",
            ),
            (
                "il servizio clienti non ha mai risposto alla mia email",
                "ho aspettato 40 minuti al telefono",
            ),
        ),
        "quality": (
            ("la qualità è eccellente", "il prodotto è solido e ben rifinito"),
            (
                "il prodotto si è rotto dopo due giorni",
                "la qualità è molto peggiore rispetto alle foto",
            ),
        ),
        "returns": (
            ("il reso è stato semplice e il rimborso veloce", "reso senza problemi"),
            ("sto ancora aspettando il rimborso", "la procedura di reso è troppo complicata"),
        ),
        "checkout": (
            ("il sito è facile da usare", "ordine completato in un minuto"),
            (
                "il sito si bloccava al momento del pagamento",
                "il codice sconto non funzionava sul sito",
            ),
        ),
        "payment": (
            ("pagamento veloce e sicuro", "tanti metodi di pagamento"),
            (
                "la carta mi è stata addebitata due volte",
                "il pagamento non è andato a buon fine tre volte",
            ),
        ),
    },
    "es": {
        "delivery": (
            (
                "el envío fue rapidísimo",
                "el paquete llegó un día antes de lo previsto",
                "el repartidor fue puntual y amable",
            ),
            (
                "el envío tardó más de una semana",
                "mi paquete llegó con tres días de retraso",
                "nadie me avisó del retraso en la entrega",
            ),
        ),
        "packaging": (
            ("todo venía bien embalado", "embalaje cuidado y sin plástico innecesario"),
            ("la caja llegó dañada", "demasiado embalaje para un artículo tan pequeño"),
        ),
        "price": (
            ("muy buena relación calidad-precio", "los precios son justos"),
            ("demasiado caro para lo que ofrece", "el precio subió justo después de mi pedido"),
        ),
        "service": (
            ("atención al cliente resolvió mi problema en minutos", "la agente fue muy amable"),
            ("atención al cliente nunca contestó mi correo", "esperé 40 minutos al teléfono"),
        ),
        "quality": (
            ("la calidad es excelente", "el producto es resistente y está bien acabado"),
            ("el producto se rompió a los dos días", "la calidad es mucho peor que en las fotos"),
        ),
        "returns": (
            ("la devolución fue sencilla y el reembolso rápido", "devolución sin complicaciones"),
            ("sigo esperando mi reembolso", "el proceso de devolución es demasiado complicado"),
        ),
        "checkout": (
            ("la web es muy fácil de usar", "hice el pedido en un minuto"),
            ("la web se colgaba al pagar", "el código de descuento no funcionaba en la web"),
        ),
        "payment": (
            ("el pago con Bizum fue rápido", "muchas formas de pago"),
            ("me cobraron dos veces en la tarjeta", "el pago falló tres veces"),
        ),
    },
    "pl": {
        "delivery": (
            (
                "dostawa była bardzo szybka",
                "paczka przyszła dzień wcześniej",
                "kurier był punktualny i miły",
            ),
            (
                "dostawa trwała ponad tydzień",
                "paczka przyszła z trzydniowym opóźnieniem",
                "nikt mnie nie poinformował o opóźnieniu",
            ),
        ),
        "packaging": (
            ("wszystko było dobrze zapakowane", "ładne opakowanie bez zbędnego plastiku"),
            ("karton był uszkodzony", "zdecydowanie za dużo opakowania jak na mały produkt"),
        ),
        "price": (
            ("świetny stosunek jakości do ceny", "ceny są uczciwe"),
            ("zdecydowanie za drogo", "cena wzrosła zaraz po moim zamówieniu"),
        ),
        "service": (
            ("obsługa klienta rozwiązała mój problem w kilka minut", "bardzo pomocny konsultant"),
            (
                "obsługa klienta nigdy nie odpowiedziała na mojego maila",
                "czekałem 40 minut na infolinii",
            ),
        ),
        "quality": (
            ("jakość jest znakomita", "produkt jest solidnie wykonany"),
            ("produkt zepsuł się po dwóch dniach", "jakość jest dużo gorsza niż na zdjęciach"),
        ),
        "returns": (
            ("zwrot był prosty, a pieniądze wróciły szybko", "zwrot bez problemu"),
            ("wciąż czekam na zwrot pieniędzy", "procedura zwrotu jest zbyt skomplikowana"),
        ),
        "checkout": (
            ("strona jest przejrzysta", "zamówienie złożyłem w minutę"),
            ("strona zawieszała się przy płatności", "kod rabatowy nie działał na stronie"),
        ),
        "payment": (
            ("płatność BLIKiem przebiegła szybko", "dużo metod płatności"),
            ("karta została obciążona dwa razy", "płatność trzy razy się nie powiodła"),
        ),
    },
}

#: Contrast words that join a positive and a negative clause, per language.
CONTRAST = {
    "en": "but",
    "de": "aber",
    "fr": "mais",
    "nl": "maar",
    "sv": "men",
    "da": "men",
    "nb": "men",
    "fi": "mutta",
    "it": "ma",
    "es": "pero",
    "pl": "ale",
}

#: Words that open a comment now and then, so comments do not all start alike.
OPENERS = {
    "en": ("Overall happy.", "Honestly,", "Second order here:"),
    "de": ("Insgesamt zufrieden.", "Ehrlich gesagt:", "Zweite Bestellung hier:"),
    "fr": ("Globalement satisfait.", "Franchement,", "Deuxième commande :"),
    "nl": ("Over het algemeen tevreden.", "Eerlijk gezegd:", "Tweede bestelling:"),
    "sv": ("Överlag nöjd.", "Ärligt talat:", "Andra beställningen:"),
    "da": ("Overordnet tilfreds.", "Ærligt talt:", "Anden bestilling:"),
    "nb": ("Stort sett fornøyd.", "Ærlig talt:"),
    "fi": ("Yleisesti tyytyväinen.", "Rehellisesti sanottuna:"),
    "it": ("Nel complesso soddisfatto.", "Sinceramente,", "Secondo ordine:"),
    "es": ("En general contento.", "Sinceramente,", "Segundo pedido:"),
    "pl": ("Ogólnie zadowolony.", "Szczerze mówiąc,", "Drugie zamówienie:"),
}
