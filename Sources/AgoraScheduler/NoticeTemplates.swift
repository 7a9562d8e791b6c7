/// The words of every notice, per kind and language: a subject and a plain-text body, both Mustache templates
/// rendered with the notice's context. The HTML part is the plain text laid out by ``NoticeTemplates/htmlLayout``.
/// English and French are required (the Secretariat's working languages); Spanish is welcome.
///
/// Every template may use the common keys `forumTitle` (absent for `account_invited`), `publicURL`
/// and `unsubscribeURL` (optional), besides the keys of its kind, listed above each kind. Dates and
/// times arrive formatted for the reader's language and the venue's time zone. Values are put in
/// with triple mustaches (`{{{x}}}`): the text is plain, so nothing is HTML-escaped there; the
/// layout escapes when it builds the HTML part. Mustache has no comparisons, so every choice is a
/// boolean, optional or array key. Section tags stand alone on their lines wherever they can, so
/// that they leave no blank line behind: paragraphs are separated by exactly one blank line,
/// which is where the layout splits them.
enum NoticeTemplates {
    struct Words: Sendable { let subject: String; let text: String }
    /// kind → language code → words.
    static let catalogue: [String: [String: Words]] = [
        // To the holder of a new account, when the secretariat opens it: `accountName`, `code`,
        // `redeemURL`, `expiresAt`.
        "account_invited": [
            "en": Words(subject: "Your Agora invitation code for {{{accountName}}}", text: """
            Hello,

            An Agora account has been opened for {{{accountName}}}. Agora is
            the system the secretariat uses to run multi-stakeholder forums
            and public hearings.

            To start, exchange this one-time invitation code for an API
            token:

            {{{code}}}

            Send it in a POST request to {{{redeemURL}}} with this JSON body:

            {"code": "{{{code}}}"}

            The code works only once and expires on {{{expiresAt}}}. Keep the
            token you receive somewhere safe: it gives access to the account.
            If the code has expired, ask the secretariat for a new invitation.

            If you were not expecting this invitation, you can ignore this
            e-mail.

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Votre code d'invitation à Agora ({{{accountName}}})", text: """
            Bonjour,

            Un compte Agora a été ouvert au nom de {{{accountName}}}. Agora
            est le système qu'utilise le secrétariat pour organiser les forums
            multipartites et les auditions publiques.

            Pour commencer, échangez le code d'invitation ci-dessous, à usage
            unique, contre un jeton d'accès à l'API :

            {{{code}}}

            Envoyez-le dans une requête POST à {{{redeemURL}}} avec le corps
            JSON suivant :

            {"code": "{{{code}}}"}

            Ce code ne peut servir qu'une seule fois et expire le
            {{{expiresAt}}}. Conservez en lieu sûr le jeton obtenu : il donne
            accès au compte. Si le code a expiré, demandez une nouvelle
            invitation au secrétariat.

            Si vous n'attendiez pas cette invitation, vous pouvez ignorer ce
            message.

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Su código de invitación a Agora ({{{accountName}}})", text: """
            Buenos días:

            Se ha abierto una cuenta de Agora a nombre de {{{accountName}}}.
            Agora es el sistema que utiliza la secretaría para organizar foros
            de múltiples interesados y audiencias públicas.

            Para empezar, canjee el siguiente código de invitación, de un solo
            uso, por un token de acceso a la API:

            {{{code}}}

            Envíelo en una solicitud POST a {{{redeemURL}}} con el siguiente
            cuerpo JSON:

            {"code": "{{{code}}}"}

            El código solo puede utilizarse una vez y caduca el
            {{{expiresAt}}}. Guarde en lugar seguro el token que reciba: da
            acceso a la cuenta. Si el código ha caducado, solicite una nueva
            invitación a la secretaría.

            Si no esperaba esta invitación, puede hacer caso omiso de este
            mensaje.

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To the accounts of a network, when its nomination is recorded: `networkName`,
        // `personName`.
        "nomination.received": [
            "en": Words(subject: "Nomination received: {{{forumTitle}}}", text: """
            Hello,

            We have received the nomination of {{{personName}}} by
            {{{networkName}}} for “{{{forumTitle}}}”.

            There is nothing more to do for now. Once nominations close, the
            speakers will be selected and we will let you know the result.

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Désignation reçue : {{{forumTitle}}}", text: """
            Bonjour,

            Nous avons bien reçu la désignation de {{{personName}}} par le
            réseau {{{networkName}}} pour « {{{forumTitle}}} ».

            Aucune autre démarche n'est nécessaire pour le moment. Une fois
            les désignations closes, les orateurs et oratrices seront
            sélectionnés et nous vous communiquerons le résultat.

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Designación recibida: {{{forumTitle}}}", text: """
            Buenos días:

            Hemos recibido la designación de {{{personName}}} por la red
            {{{networkName}}} para “{{{forumTitle}}}”.

            Por ahora no es necesario hacer nada más. Una vez cerrado el
            plazo de designación, se seleccionará a los oradores y le
            comunicaremos el resultado.

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To the accounts of a network that has not nominated yet, 3 days and 1 day before the
        // nominations deadline (only the nearest one due): `networkName`, `deadline`,
        // `daysLeft`, `oneDay`, `severalDays`.
        "nomination.deadline_reminder": [
            "en": Words(subject: "Nominations close {{#oneDay}}tomorrow{{/oneDay}}{{#severalDays}}in {{{daysLeft}}} days{{/severalDays}}: {{{forumTitle}}}", text: """
            Hello,

            {{{networkName}}} has not yet nominated a speaker for
            “{{{forumTitle}}}”.
            {{#oneDay}}
            Nominations close tomorrow.
            {{/oneDay}}
            {{#severalDays}}
            Nominations close in {{{daysLeft}}} days.
            {{/severalDays}}

            Deadline: {{{deadline}}}

            Nominations received after the deadline cannot be considered. If
            your network does not intend to nominate anyone, you can ignore
            this reminder.

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Désignations : clôture {{#oneDay}}demain{{/oneDay}}{{#severalDays}}dans {{{daysLeft}}} jours{{/severalDays}} — {{{forumTitle}}}", text: """
            Bonjour,

            Le réseau {{{networkName}}} n'a pas encore désigné d'orateur ou
            d'oratrice pour « {{{forumTitle}}} ».
            {{#oneDay}}
            Les désignations seront closes demain.
            {{/oneDay}}
            {{#severalDays}}
            Les désignations seront closes dans {{{daysLeft}}} jours.
            {{/severalDays}}

            Date limite : {{{deadline}}}

            Les désignations reçues après la date limite ne pourront pas être
            prises en considération. Si votre réseau ne compte désigner
            personne, vous pouvez ignorer ce rappel.

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Designaciones: cierre {{#oneDay}}mañana{{/oneDay}}{{#severalDays}}dentro de {{{daysLeft}}} días{{/severalDays}} — {{{forumTitle}}}", text: """
            Buenos días:

            La red {{{networkName}}} todavía no ha designado a ningún orador
            u oradora para “{{{forumTitle}}}”.
            {{#oneDay}}
            El plazo de designación se cierra mañana.
            {{/oneDay}}
            {{#severalDays}}
            El plazo de designación se cierra dentro de {{{daysLeft}}} días.
            {{/severalDays}}

            Fecha límite: {{{deadline}}}

            No podrán tenerse en cuenta las designaciones recibidas después de
            la fecha límite. Si su red no tiene previsto designar a nadie,
            puede hacer caso omiso de este recordatorio.

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To the accounts of each network that nominated, when the slate is approved:
        // `networkName`, `selected` [{personName, minutes}], `reserves` [{personName}],
        // `notSelected` [{personName}], `hasSelected`, `hasReserves`, `hasNotSelected`,
        // `decisionsURL`.
        "selection.result": [
            "en": Words(subject: "Speaker selection: {{{forumTitle}}}", text: """
            Hello,

            The speakers for “{{{forumTitle}}}” have been selected. Here is
            the outcome for the nominations made by {{{networkName}}}.
            {{#hasSelected}}

            Selected to speak:
            {{#selected}}
            - {{{personName}}} ({{{minutes}}} minutes)
            {{/selected}}

            Each selected speaker will be asked to confirm.
            {{/hasSelected}}
            {{#hasReserves}}

            On the reserve list:
            {{#reserves}}
            - {{{personName}}}
            {{/reserves}}

            A reserve speaker takes a place if a selected speaker declines
            or does not confirm in time.
            {{/hasReserves}}
            {{#hasNotSelected}}

            Not selected:
            {{#notSelected}}
            - {{{personName}}}
            {{/notSelected}}
            {{/hasNotSelected}}

            The selection is public: the decision on every nomination, with
            its reasons, is published at {{{decisionsURL}}}

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Sélection des orateurs et oratrices : {{{forumTitle}}}", text: """
            Bonjour,

            La sélection des orateurs et oratrices de « {{{forumTitle}}} » a
            été arrêtée. Voici le résultat pour les désignations faites par
            le réseau {{{networkName}}}.
            {{#hasSelected}}

            Personnes retenues pour prendre la parole :
            {{#selected}}
            - {{{personName}}} ({{{minutes}}} minutes)
            {{/selected}}

            Il sera demandé à chaque personne retenue de confirmer son
            intervention.
            {{/hasSelected}}
            {{#hasReserves}}

            Personnes inscrites sur la liste de réserve :
            {{#reserves}}
            - {{{personName}}}
            {{/reserves}}

            Une personne de la liste de réserve prend la place d'un orateur
            ou d'une oratrice qui se désiste ou ne confirme pas à temps.
            {{/hasReserves}}
            {{#hasNotSelected}}

            Personnes non retenues :
            {{#notSelected}}
            - {{{personName}}}
            {{/notSelected}}
            {{/hasNotSelected}}

            La sélection est publique : la décision prise sur chaque
            désignation, avec ses motifs, est publiée à l'adresse suivante :
            {{{decisionsURL}}}

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Selección de oradores: {{{forumTitle}}}", text: """
            Buenos días:

            Se ha realizado la selección de oradores para
            “{{{forumTitle}}}”. Este es el resultado de las designaciones
            presentadas por la red {{{networkName}}}.
            {{#hasSelected}}

            Personas seleccionadas para intervenir:
            {{#selected}}
            - {{{personName}}} ({{{minutes}}} minutos)
            {{/selected}}

            Se pedirá a cada persona seleccionada que confirme su
            intervención.
            {{/hasSelected}}
            {{#hasReserves}}

            Personas en la lista de reserva:
            {{#reserves}}
            - {{{personName}}}
            {{/reserves}}

            Una persona de la lista de reserva ocupa el puesto de quien
            decline su intervención o no la confirme a tiempo.
            {{/hasReserves}}
            {{#hasNotSelected}}

            Personas no seleccionadas:
            {{#notSelected}}
            - {{{personName}}}
            {{/notSelected}}
            {{/hasNotSelected}}

            La selección es pública: la decisión sobre cada designación, con
            sus motivos, está publicada en {{{decisionsURL}}}

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To a chosen speaker, when the slate is approved or a reserve takes a declined place:
        // `minutes`, `confirmBy`.
        "speaker.confirmation_requested": [
            "en": Words(subject: "Please confirm you will speak: {{{forumTitle}}}", text: """
            Hello,

            You have been selected to speak at “{{{forumTitle}}}”, for
            {{{minutes}}} minutes.

            Please confirm or decline by {{{confirmBy}}}. Your network's
            focal point can record your answer in Agora.

            If there is no answer by then, your place passes to a reserve
            speaker. If you cannot take part, please decline as soon as
            possible so that someone else can speak in your place.

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Merci de confirmer votre intervention : {{{forumTitle}}}", text: """
            Bonjour,

            Votre nom a été retenu pour prendre la parole lors de
            « {{{forumTitle}}} », pour une intervention de {{{minutes}}}
            minutes.

            Merci de confirmer ou de décliner au plus tard le
            {{{confirmBy}}}. Le point focal de votre réseau peut enregistrer
            votre réponse dans Agora.

            Sans réponse à cette date, votre place sera attribuée à une
            personne inscrite sur la liste de réserve. Si vous ne pouvez pas
            participer, merci de décliner dès que possible afin qu'une autre
            personne puisse intervenir à votre place.

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Confirme su intervención: {{{forumTitle}}}", text: """
            Buenos días:

            Su nombre ha sido seleccionado para intervenir en
            “{{{forumTitle}}}”, con un tiempo de palabra de {{{minutes}}}
            minutos.

            Le rogamos que confirme o decline su intervención a más tardar el
            {{{confirmBy}}}. La persona de contacto de su red puede registrar
            su respuesta en Agora.

            Si no hay respuesta en esa fecha, su puesto pasará a una persona
            de la lista de reserva. Si no puede participar, le rogamos que lo
            indique cuanto antes para que otra persona pueda intervenir en su
            lugar.

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To a chosen speaker who has not answered, 2 days before the confirmation deadline:
        // `minutes`, `confirmBy`.
        "speaker.confirmation_reminder": [
            "en": Words(subject: "Reminder: 2 days left to confirm — {{{forumTitle}}}", text: """
            Hello,

            You have been selected to speak at “{{{forumTitle}}}”, for
            {{{minutes}}} minutes, and we have not yet received your answer.

            Two days are left: please confirm or decline by {{{confirmBy}}}.
            Your network's focal point can record your answer in Agora.

            If there is no answer by then, your place passes to a reserve
            speaker.

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Rappel : plus que 2 jours pour confirmer — {{{forumTitle}}}", text: """
            Bonjour,

            Votre nom a été retenu pour prendre la parole lors de
            « {{{forumTitle}}} » (intervention de {{{minutes}}} minutes), et
            nous n'avons pas encore reçu votre réponse.

            Il vous reste deux jours : merci de confirmer ou de décliner au
            plus tard le {{{confirmBy}}}. Le point focal de votre réseau peut
            enregistrer votre réponse dans Agora.

            Sans réponse à cette date, votre place sera attribuée à une
            personne inscrite sur la liste de réserve.

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Recordatorio: quedan 2 días para confirmar — {{{forumTitle}}}", text: """
            Buenos días:

            Su nombre ha sido seleccionado para intervenir en
            “{{{forumTitle}}}” (tiempo de palabra: {{{minutes}}} minutos) y
            todavía no hemos recibido su respuesta.

            Quedan dos días: le rogamos que confirme o decline su
            intervención a más tardar el {{{confirmBy}}}. La persona de
            contacto de su red puede registrar su respuesta en Agora.

            Si no hay respuesta en esa fecha, su puesto pasará a una persona
            de la lista de reserva.

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To a chosen speaker who has not answered, when the forum's start moves and with it the
        // confirmation deadline: `confirmBy`.
        "speaker.confirmation_deadline_moved": [
            "en": Words(subject: "New confirmation deadline: {{{forumTitle}}}", text: """
            Hello,

            The start of “{{{forumTitle}}}” has moved, and with it the
            deadline to confirm or decline your place as a speaker.

            New deadline: {{{confirmBy}}}

            Your network's focal point can record your answer in Agora. If
            there is no answer by then, your place passes to a reserve
            speaker.

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Nouvelle date limite de confirmation : {{{forumTitle}}}", text: """
            Bonjour,

            La date d'ouverture de « {{{forumTitle}}} » a changé ; la date
            limite pour confirmer ou décliner votre intervention a donc été
            modifiée.

            Nouvelle date limite : {{{confirmBy}}}

            Le point focal de votre réseau peut enregistrer votre réponse dans
            Agora. Sans réponse à cette date, votre place sera attribuée à une
            personne inscrite sur la liste de réserve.

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Nueva fecha límite de confirmación: {{{forumTitle}}}", text: """
            Buenos días:

            La fecha de inicio de “{{{forumTitle}}}” ha cambiado y, con ella,
            la fecha límite para confirmar o declinar su intervención.

            Nueva fecha límite: {{{confirmBy}}}

            La persona de contacto de su red puede registrar su respuesta en
            Agora. Si no hay respuesta en esa fecha, su puesto pasará a una
            persona de la lista de reserva.

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To a confirmed speaker, 7 days and 1 day before their session: `sessionTitle`,
        // `startsAt`, `room`, `venueName`, `minutes` (optional), `sevenDays`, `oneDay`,
        // `agendaURL`.
        "speaker.session_reminder": [
            "en": Words(subject: "Reminder: you speak {{#sevenDays}}in 7 days{{/sevenDays}}{{#oneDay}}tomorrow{{/oneDay}}{{^sevenDays}}{{^oneDay}}soon{{/oneDay}}{{/sevenDays}} — {{{sessionTitle}}}", text: """
            Hello,

            {{#sevenDays}}
            This is a reminder that you speak in 7 days at
            “{{{forumTitle}}}”.
            {{/sevenDays}}
            {{#oneDay}}
            This is a reminder that you speak tomorrow at “{{{forumTitle}}}”.
            {{/oneDay}}
            {{^sevenDays}}
            {{^oneDay}}
            This is a reminder that you will soon speak at
            “{{{forumTitle}}}”.
            {{/oneDay}}
            {{/sevenDays}}

            Session: {{{sessionTitle}}}
            When: {{{startsAt}}}
            Where: {{{room}}}, {{{venueName}}}
            {{#minutes}}
            Speaking time: {{{minutes}}} minutes
            {{/minutes}}

            The agenda, kept up to date: {{{agendaURL}}}

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Rappel : votre intervention {{#sevenDays}}dans 7 jours{{/sevenDays}}{{#oneDay}}demain{{/oneDay}}{{^sevenDays}}{{^oneDay}}à venir{{/oneDay}}{{/sevenDays}} — {{{sessionTitle}}}", text: """
            Bonjour,

            {{#sevenDays}}
            Nous vous rappelons que vous prendrez la parole dans 7 jours lors
            de « {{{forumTitle}}} ».
            {{/sevenDays}}
            {{#oneDay}}
            Nous vous rappelons que vous prendrez la parole demain lors de
            « {{{forumTitle}}} ».
            {{/oneDay}}
            {{^sevenDays}}
            {{^oneDay}}
            Nous vous rappelons que vous prendrez prochainement la parole
            lors de « {{{forumTitle}}} ».
            {{/oneDay}}
            {{/sevenDays}}

            Séance : {{{sessionTitle}}}
            Date et heure : {{{startsAt}}}
            Lieu : {{{room}}}, {{{venueName}}}
            {{#minutes}}
            Temps de parole : {{{minutes}}} minutes
            {{/minutes}}

            Ordre du jour (version à jour) : {{{agendaURL}}}

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Recordatorio: su intervención {{#sevenDays}}dentro de 7 días{{/sevenDays}}{{#oneDay}}mañana{{/oneDay}}{{^sevenDays}}{{^oneDay}}próximamente{{/oneDay}}{{/sevenDays}} — {{{sessionTitle}}}", text: """
            Buenos días:

            {{#sevenDays}}
            Le recordamos que intervendrá dentro de 7 días en
            “{{{forumTitle}}}”.
            {{/sevenDays}}
            {{#oneDay}}
            Le recordamos que intervendrá mañana en “{{{forumTitle}}}”.
            {{/oneDay}}
            {{^sevenDays}}
            {{^oneDay}}
            Le recordamos que intervendrá próximamente en
            “{{{forumTitle}}}”.
            {{/oneDay}}
            {{/sevenDays}}

            Sesión: {{{sessionTitle}}}
            Fecha y hora: {{{startsAt}}}
            Lugar: {{{room}}}, {{{venueName}}}
            {{#minutes}}
            Tiempo de palabra: {{{minutes}}} minutos
            {{/minutes}}

            Programa actualizado: {{{agendaURL}}}

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To those who follow a forum's agenda, after a quiet period following a published
        // change, with every change since their last notice: `fromVersion`, `toVersion`,
        // `severalVersions`, `changes` [{line}], `agendaURL`, `calendarURL`.
        "agenda.changed": [
            "en": Words(subject: "Agenda changed: {{{forumTitle}}}", text: """
            Hello,

            {{#severalVersions}}
            The agenda of “{{{forumTitle}}}” has been revised several times
            since our last notice (version {{{fromVersion}}} to version
            {{{toVersion}}}). Here is everything that changed:
            {{/severalVersions}}
            {{^severalVersions}}
            The agenda of “{{{forumTitle}}}” has been revised (version
            {{{fromVersion}}} to version {{{toVersion}}}). Here is what
            changed:
            {{/severalVersions}}
            {{#changes}}
            - {{{line}}}
            {{/changes}}

            Current agenda: {{{agendaURL}}}
            Calendar (.ics): {{{calendarURL}}}

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Ordre du jour modifié : {{{forumTitle}}}", text: """
            Bonjour,

            {{#severalVersions}}
            L'ordre du jour de « {{{forumTitle}}} » a été révisé à plusieurs
            reprises depuis notre dernier message (de la version
            {{{fromVersion}}} à la version {{{toVersion}}}). Voici l'ensemble
            des modifications :
            {{/severalVersions}}
            {{^severalVersions}}
            L'ordre du jour de « {{{forumTitle}}} » a été révisé (de la
            version {{{fromVersion}}} à la version {{{toVersion}}}). Voici les
            modifications :
            {{/severalVersions}}
            {{#changes}}
            - {{{line}}}
            {{/changes}}

            Ordre du jour actuel : {{{agendaURL}}}
            Calendrier (.ics) : {{{calendarURL}}}

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Cambios en el programa: {{{forumTitle}}}", text: """
            Buenos días:

            {{#severalVersions}}
            El programa de “{{{forumTitle}}}” se ha revisado varias veces
            desde nuestro último mensaje (de la versión {{{fromVersion}}} a
            la versión {{{toVersion}}}). Estos son todos los cambios:
            {{/severalVersions}}
            {{^severalVersions}}
            El programa de “{{{forumTitle}}}” se ha revisado (de la versión
            {{{fromVersion}}} a la versión {{{toVersion}}}). Estos son los
            cambios:
            {{/severalVersions}}
            {{#changes}}
            - {{{line}}}
            {{/changes}}

            Programa actual: {{{agendaURL}}}
            Calendario (.ics): {{{calendarURL}}}

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To the accounts of the networks, when a forum's hearing is scheduled: `startsAt`,
        // `venueName`, `city`, `chair`, `nominationsDeadline` (optional), `forumURL`.
        "forum.hearing_scheduled": [
            "en": Words(subject: "Hearing scheduled: {{{forumTitle}}}", text: """
            Hello,

            A hearing has been scheduled for “{{{forumTitle}}}”.

            When: {{{startsAt}}}
            Where: {{{venueName}}}, {{{city}}}
            Chair: {{{chair}}}
            {{#nominationsDeadline}}

            Networks may nominate speakers until {{{nominationsDeadline}}}.
            {{/nominationsDeadline}}

            Details of the hearing: {{{forumURL}}}

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Audition programmée : {{{forumTitle}}}", text: """
            Bonjour,

            Une audition a été programmée pour « {{{forumTitle}}} ».

            Date et heure : {{{startsAt}}}
            Lieu : {{{venueName}}}, {{{city}}}
            Présidence : {{{chair}}}
            {{#nominationsDeadline}}

            Les réseaux peuvent désigner des orateurs et oratrices jusqu'au
            {{{nominationsDeadline}}}.
            {{/nominationsDeadline}}

            Informations détaillées sur l'audition : {{{forumURL}}}

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Audiencia programada: {{{forumTitle}}}", text: """
            Buenos días:

            Se ha programado una audiencia para “{{{forumTitle}}}”.

            Fecha y hora: {{{startsAt}}}
            Lugar: {{{venueName}}}, {{{city}}}
            Presidencia: {{{chair}}}
            {{#nominationsDeadline}}

            Las redes pueden designar oradores hasta el
            {{{nominationsDeadline}}}.
            {{/nominationsDeadline}}

            Información detallada sobre la audiencia: {{{forumURL}}}

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To a forum's confirmed subscribers, when its proceedings are transmitted: `body`,
        // `documentReference`, `transmittedOn`, `proceedingsURL`.
        "proceedings.transmitted": [
            "en": Words(subject: "Proceedings transmitted: {{{forumTitle}}}", text: """
            Hello,

            The proceedings of “{{{forumTitle}}}” were transmitted on
            {{{transmittedOn}}}.

            Transmitted to: {{{body}}}
            Document reference: {{{documentReference}}}

            You can read the proceedings at {{{proceedingsURL}}}

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Compte rendu transmis : {{{forumTitle}}}", text: """
            Bonjour,

            Le compte rendu des travaux de « {{{forumTitle}}} » a été transmis
            le {{{transmittedOn}}}.

            Organe destinataire : {{{body}}}
            Cote du document : {{{documentReference}}}

            Le compte rendu peut être consulté à l'adresse suivante :
            {{{proceedingsURL}}}

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Actas transmitidas: {{{forumTitle}}}", text: """
            Buenos días:

            Las actas de “{{{forumTitle}}}” se transmitieron el
            {{{transmittedOn}}}.

            Órgano destinatario: {{{body}}}
            Signatura del documento: {{{documentReference}}}

            Puede consultar las actas en {{{proceedingsURL}}}

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // “booking confirmed”, to the organisation's accounts: `roomName`, `organisationName`, `startsAt`, `endsAt`, `attendees`.
        "booking.confirmed": [
            "en": Words(subject: "Workspace booked: {{{roomName}}}, {{{forumTitle}}}", text: """
            Hello,

            {{{roomName}}} is booked as workspace for {{{organisationName}}}
            at “{{{forumTitle}}}”:

            From {{{startsAt}}}
            to {{{endsAt}}}
            for {{{attendees}}} people.

            Check in from 10 minutes before the start. A booking nobody
            checks in for within 15 minutes of its start is released, and
            the room goes to others.

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Espace de travail réservé : {{{roomName}}}, {{{forumTitle}}}", text: """
            Bonjour,

            La salle {{{roomName}}} est réservée comme espace de travail pour
            {{{organisationName}}} pendant « {{{forumTitle}}} » :

            Du {{{startsAt}}}
            au {{{endsAt}}}
            pour {{{attendees}}} personnes.

            L'enregistrement est ouvert dès 10 minutes avant le début. Une
            réservation sans enregistrement dans les 15 minutes qui suivent
            le début est libérée et la salle est rendue disponible.

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Espacio de trabajo reservado: {{{roomName}}}, {{{forumTitle}}}", text: """
            Buenos días:

            La sala {{{roomName}}} está reservada como espacio de trabajo
            para {{{organisationName}}} durante “{{{forumTitle}}}”:

            Desde el {{{startsAt}}}
            hasta el {{{endsAt}}}
            para {{{attendees}}} personas.

            El registro de llegada se abre 10 minutos antes del inicio. Una
            reserva sin registro de llegada en los 15 minutos siguientes al
            inicio se libera y la sala queda disponible.

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // “booking cancelled”: `roomName`, `organisationName`, `startsAt`, `endsAt`, `attendees`.
        "booking.cancelled": [
            "en": Words(subject: "Workspace booking cancelled: {{{roomName}}}, {{{forumTitle}}}", text: """
            Hello,

            The booking of {{{roomName}}} for {{{organisationName}}} at
            “{{{forumTitle}}}”, from {{{startsAt}}} to {{{endsAt}}},
            is cancelled. The room is free for others again.

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Réservation annulée : {{{roomName}}}, {{{forumTitle}}}", text: """
            Bonjour,

            La réservation de la salle {{{roomName}}} pour
            {{{organisationName}}} pendant « {{{forumTitle}}} », du
            {{{startsAt}}} au {{{endsAt}}}, est annulée. La salle est de
            nouveau disponible.

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Reserva cancelada: {{{roomName}}}, {{{forumTitle}}}", text: """
            Buenos días:

            La reserva de la sala {{{roomName}}} para {{{organisationName}}}
            durante “{{{forumTitle}}}”, desde el {{{startsAt}}} hasta el
            {{{endsAt}}}, ha sido cancelada. La sala vuelve a estar
            disponible.

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // “booking released” for want of check-in: `roomName`, `organisationName`, `startsAt`, `endsAt`, `attendees`.
        "booking.released": [
            "en": Words(subject: "Workspace released, nobody checked in: {{{roomName}}}, {{{forumTitle}}}", text: """
            Hello,

            Nobody checked in for the booking of {{{roomName}}} for
            {{{organisationName}}} at “{{{forumTitle}}}”, from {{{startsAt}}}
            to {{{endsAt}}}, within 15 minutes of its start. The booking is
            released and the room is free for others.

            If you still need a room, book again: the free slots are at
            {{{forumURL}}}/workspaces/availability

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Espace de travail libéré faute d'enregistrement : {{{roomName}}}, {{{forumTitle}}}", text: """
            Bonjour,

            Personne ne s'est enregistré pour la réservation de la salle
            {{{roomName}}} pour {{{organisationName}}} pendant
            « {{{forumTitle}}} », du {{{startsAt}}} au {{{endsAt}}}, dans les
            15 minutes qui ont suivi le début. La réservation est libérée et
            la salle est rendue disponible.

            Si vous avez encore besoin d'une salle, réservez de nouveau : les
            créneaux libres sont à l'adresse
            {{{forumURL}}}/workspaces/availability

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Espacio de trabajo liberado por falta de registro: {{{roomName}}}, {{{forumTitle}}}", text: """
            Buenos días:

            Nadie registró su llegada para la reserva de la sala
            {{{roomName}}} para {{{organisationName}}} durante
            “{{{forumTitle}}}”, desde el {{{startsAt}}} hasta el {{{endsAt}}},
            en los 15 minutos siguientes al inicio. La reserva se ha liberado
            y la sala queda disponible.

            Si aún necesita una sala, reserve de nuevo: los horarios libres
            están en {{{forumURL}}}/workspaces/availability

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
        // To an address someone subscribed to a forum, at once, before anything else is sent to
        // it (double opt-in): `confirmURL`, `code`, `expiresAt`.
        "subscription.confirm": [
            "en": Words(subject: "Please confirm your subscription: {{{forumTitle}}}", text: """
            Hello,

            Someone asked for this address to receive e-mails about
            “{{{forumTitle}}}”.

            Nothing will be sent until the subscription is confirmed. To
            confirm it, send this JSON body in a POST request to
            {{{confirmURL}}}:

            {"code": "{{{code}}}"}

            The code expires on {{{expiresAt}}}.

            If you did not ask for this, ignore this e-mail: nothing more
            will be sent to you.

            — The Agora secretariat
            {{#unsubscribeURL}}

            To stop these e-mails: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "fr": Words(subject: "Merci de confirmer votre abonnement : {{{forumTitle}}}", text: """
            Bonjour,

            Quelqu'un a demandé que cette adresse reçoive des messages
            concernant « {{{forumTitle}}} ».

            Rien ne vous sera envoyé tant que l'abonnement n'aura pas été
            confirmé. Pour le confirmer, envoyez le corps JSON suivant dans
            une requête POST à {{{confirmURL}}} :

            {"code": "{{{code}}}"}

            Le code expire le {{{expiresAt}}}.

            Si vous n'êtes pas à l'origine de cette demande, ignorez ce
            message : vous ne recevrez rien d'autre.

            — Le secrétariat d'Agora
            {{#unsubscribeURL}}

            Pour ne plus recevoir ces messages : {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
            "es": Words(subject: "Confirme su suscripción: {{{forumTitle}}}", text: """
            Buenos días:

            Alguien ha solicitado que esta dirección reciba mensajes sobre
            “{{{forumTitle}}}”.

            No se le enviará nada hasta que se confirme la suscripción. Para
            confirmarla, envíe el siguiente cuerpo JSON en una solicitud POST
            a {{{confirmURL}}}:

            {"code": "{{{code}}}"}

            El código caduca el {{{expiresAt}}}.

            Si no ha hecho usted esta solicitud, haga caso omiso de este
            mensaje: no recibirá nada más.

            — La secretaría de Agora
            {{#unsubscribeURL}}

            Para dejar de recibir estos mensajes: {{{unsubscribeURL}}}
            {{/unsubscribeURL}}
            """),
        ],
    ]

    /// The HTML e-mail: a Mustache template given `lang`, `subject`, `paragraphs` (array of strings: the rendered text split at blank lines; each rendered escaped, line breaks inside a paragraph kept with white-space: pre-line), `links` (array of {label, url}) and `footer` (string, optional) and `unsubscribeURL` (optional).
    ///
    /// Every value goes in escaped (`{{x}}`). The unsubscribe link shows its own address: the
    /// layout has no words of its own, and the text already says, in the reader's language,
    /// what the address is for.
    static let htmlLayout: String = """
    <!DOCTYPE html>
    <html lang="{{lang}}">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{subject}}</title>
    </head>
    <body style="margin:0;padding:0;background:#f4f4f1;">
    <div style="max-width:36em;margin:0 auto;padding:1.5em 1.25em;
    background:#ffffff;color:#1b1b1b;font-size:16px;line-height:1.5;
    font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',
    Arial,sans-serif;">
    {{#paragraphs}}
    <p style="margin:0 0 1em;white-space:pre-line;">{{.}}</p>
    {{/paragraphs}}
    {{#links}}
    <p style="margin:0 0 0.5em;"><a href="{{url}}"
    style="color:#0b5cad;text-decoration:underline;">{{label}}</a></p>
    {{/links}}
    {{#footer}}
    <p style="margin:1.5em 0 0;padding-top:1em;border-top:1px solid #dddddd;
    font-size:13px;color:#595959;white-space:pre-line;">{{.}}</p>
    {{/footer}}
    {{#unsubscribeURL}}
    <p style="margin:1em 0 0;font-size:13px;color:#595959;"><a href="{{.}}"
    style="color:#595959;">{{.}}</a></p>
    {{/unsubscribeURL}}
    </div>
    </body>
    </html>
    """
}
