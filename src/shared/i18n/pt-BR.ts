import type { Catalogue } from './catalogue.js';

/**
 * Os textos de robusto em português do Brasil: o título e o significado de cada código de erro e
 * cada mensagem que a API e os comandos mostram a uma pessoa. As chaves e os `{marcadores}` são
 * exatamente os do catálogo em inglês (`en.ts`).
 */
export const ptBR: Catalogue = {
  codes: {
    // auth
    ERR_AUTH_INVALID_CREDENTIALS: { title: 'Credenciais inválidas', meaning: 'Organização, e-mail ou senha errados; a resposta nunca diz qual.' },
    ERR_AUTH_RATE_LIMITED: {
      title: 'Tentativas de login demais',
      meaning: 'Logins demais a partir deste endereço, ou falhas demais nesta conta: aguarde os segundos de `Retry-After`.',
    },
    ERR_INSTALLATION_ROLE_CLI_ONLY: {
      title: 'Papel de instalação só no servidor',
      meaning: 'O papel de instalação é concedido e revogado apenas no servidor, com `robusto user installation-admin`.',
    },
    ERR_INSTALLATION_ROLE_NEEDS_ADMIN: {
      title: 'Papel de instalação exige um administrador',
      meaning: 'Só um admin ou owner ativo pode ter o papel de instalação.',
    },
    ERR_TENANT_LAST_OWNER: {
      title: 'Último owner da organização',
      meaning: 'A mudança deixaria a organização sem nenhum owner ativo: torne outro usuário owner antes.',
    },
    ERR_TENANT_SLUG_TAKEN: { title: 'Slug da organização já usado', meaning: 'Outra organização já tem este slug.' },
    ERR_USER_EMAIL_TAKEN: { title: 'E-mail do usuário já usado', meaning: 'Outro usuário da organização já tem este e-mail.' },
    ERR_USER_NOT_FOUND: { title: 'Usuário não encontrado', meaning: 'Nenhum usuário com este id na organização de quem chama.' },
    ERR_USER_OWNER_ONLY: { title: 'Só um owner pode fazer isso', meaning: 'Só um owner pode criar, alterar ou desativar um owner.' },
    ERR_USER_SELF_LOCKOUT: {
      title: 'Não é possível trancar a si mesmo',
      meaning: 'Ninguém pode desativar a si mesmo nem mudar o próprio papel; outro admin ou owner pode.',
    },
    // backup
    ERR_BACKUP_DAMAGED: { title: 'Backup danificado', meaning: 'Um arquivo falta, foi alterado ou não pode ser lido: `verify` lista quais.' },
    ERR_BACKUP_KEY: {
      title: 'Chave do backup ausente ou errada',
      meaning: 'O backup é cifrado e `BACKUP_ENCRYPTION_KEY` não está definida, ou não é a chave com que ele foi feito.',
    },
    ERR_BACKUP_NO_DATABASE: {
      title: 'Nenhum banco para copiar',
      meaning: 'O banco configurado não tem tabelas do robusto (DATA_DIR ou DATABASE_URL errado): não há o que copiar.',
    },
    ERR_BACKUP_NOT_A_BACKUP: { title: 'Não é um backup', meaning: 'O diretório não tem um manifesto de backup do robusto legível.' },
    ERR_BACKUP_SCHEMA_MISMATCH: { title: 'Esquema do backup diferente', meaning: 'As migrações do backup diferem das deste robusto.' },
    ERR_BACKUP_TARGET_NOT_EMPTY: {
      title: 'Destino da restauração não está vazio',
      meaning: 'O banco de destino já tem linhas: a restauração só preenche um banco vazio.',
    },
    ERR_BACKUP_UNAUTHENTICATED: {
      title: 'Backup sem autenticação',
      meaning: 'O backup é cifrado mas o manifesto não traz HMAC: a restauração pede `--allow-unauthenticated`.',
    },
    ERR_BACKUP_UNENCRYPTED: {
      title: 'Backup sem cifra',
      meaning: '`BACKUP_ENCRYPTION_KEY` está definida e o backup é simples (sem autenticação): a restauração pede `--allow-unencrypted`.',
    },
    // config
    ERR_CONFIG_INVALID: {
      title: 'Configuração inválida',
      meaning:
        'Uma variável de ambiente (ou linha do `.env`) é inválida; o robusto não inicia e mostra uma linha por variável, com um exemplo de valor válido.',
    },
    // customers
    ERR_CUSTOMER_DOCUMENT_TAKEN: { title: 'Documento do cliente já usado', meaning: 'Outro cliente da organização já tem este CPF/CNPJ.' },
    ERR_CUSTOMER_NOT_FOUND: { title: 'Cliente não encontrado', meaning: 'Nenhum cliente com este id na organização de quem chama.' },
    ERR_CUSTOMER_VERSION_CONFLICT: {
      title: 'Cliente alterado nesse meio-tempo',
      meaning: 'O cliente mudou desde que foi lido (`currentVersion` diz a versão atual): recarregue, refaça a alteração e envie a nova versão.',
    },
    // database
    ERR_DATABASE_NO_HOST: {
      title: 'Nenhum servidor de banco serve',
      meaning:
        'Nenhum servidor listado em `DATABASE_URL` aceitou uma conexão do tipo que `target_session_attrs` pede (um primário para `read-write`): como durante um failover, antes de um standby ser promovido. Uma escrita vai para o diário (202); cada nova conexão tenta os servidores de novo.',
    },
    ERR_DATABASE_STALLED: {
      title: 'Banco de dados travado',
      meaning:
        'Trabalho no banco abandonado porque o banco não respondeu nada, em nenhuma conexão, por `DB_WRITE_DEADLINE_MS`; a conexão foi destruída. Uma escrita vai para o diário (202).',
    },
    ERR_MIGRATION_FAILED: {
      title: 'Migração falhou',
      meaning: 'Uma migração falhou e foi desfeita; a mensagem nomeia o dono (`core` ou um módulo) e a migração. Esse módulo responde 503 até ser corrigido.',
    },
    // identity
    ERR_AUTH_TOKEN_EXPIRED: { title: 'Token expirado', meaning: 'O token expirou (após 12 horas): entre de novo.' },
    ERR_AUTH_TOKEN_INVALID: {
      title: 'Token inválido',
      meaning: 'O token não confere, foi encerrado, ou o usuário foi desativado: entre de novo.',
    },
    ERR_INSTALLATION_ROLE_REQUIRED: {
      title: 'Papel de instalação necessário',
      meaning: 'A rota mostra ou altera a instalação inteira: exige o papel de instalação, concedido no servidor com `robusto user installation-admin`.',
    },
    // jobs
    ERR_JOB_CANCELLED: {
      title: 'Tarefa cancelada',
      meaning: 'A execução de uma tarefa foi interrompida porque o processo está parando; o horário dela roda na próxima partida.',
    },
    ERR_JOB_TIMEOUT: {
      title: 'Tarefa excedeu o tempo',
      meaning: 'A execução de uma tarefa passou do seu tempo limite e foi interrompida; ela é tentada de novo com espera crescente.',
    },
    // kernel
    ERR_AUTH_FORBIDDEN: {
      title: 'Permissão ausente',
      meaning:
        'O papel do usuário não tem a permissão que a rota ou o comando exige (o `permission` do problema a nomeia); um admin ou owner pode mudar o papel.',
    },
    ERR_AUTH_REQUIRED: {
      title: 'Login necessário',
      meaning: 'A rota exige um usuário conectado: envie `Authorization: Bearer <token>` obtido em `POST /api/auth/login`.',
    },
    ERR_BAD_REQUEST: {
      title: 'Requisição inválida',
      meaning:
        'Outro erro do cliente, encontrado antes de a rota rodar ou respondido por um módulo que não define códigos próprios (então com o status que ele deu, como 404); o detalhe diz qual.',
    },
    ERR_BODY_TOO_LARGE: {
      title: 'Corpo grande demais',
      meaning: 'O corpo passa do limite de tamanho da rota, ou tem mais membros do que o robusto lê: envie menos por requisição.',
    },
    ERR_DATABASE_UNAVAILABLE: {
      title: 'Banco de dados indisponível',
      meaning: 'O banco não está respondendo: leituras esperam por ele (tente de novo após `Retry-After`), escritas vão para o diário (202).',
    },
    ERR_INTERNAL: { title: 'Erro interno', meaning: 'Algo inesperado: o log tem os detalhes sob o id de requisição que o problema informa.' },
    ERR_MALFORMED_JSON: { title: 'JSON malformado', meaning: 'O corpo não é JSON válido, ou está vazio enquanto `Content-Type` diz JSON.' },
    ERR_MODULE_UNAVAILABLE: {
      title: 'Módulo indisponível',
      meaning: 'O módulo por trás desta URL não carregou, ou espera suas migrações; os outros módulos continuam atendendo.',
    },
    ERR_OVERLOADED: {
      title: 'Servidor sobrecarregado',
      meaning:
        'O servidor está ocupado demais para responder a tempo (o laço de eventos atrasa, ou a fila de hash de senhas está cheia); tente de novo após `Retry-After`.',
    },
    ERR_RATE_LIMITED: {
      title: 'Requisições demais',
      meaning: 'Requisições demais a esta rota a partir deste endereço em um minuto; tente de novo após `Retry-After`.',
    },
    ERR_ROUTE_NOT_FOUND: { title: 'Rota não encontrada', meaning: 'Nenhuma rota para este método e URL; a API está descrita em `/docs`.' },
    ERR_SHUTTING_DOWN: { title: 'Servidor parando', meaning: 'O servidor está parando; outro worker ou o servidor reiniciado atende uma nova tentativa.' },
    ERR_TIMEOUT: {
      title: 'Tempo esgotado',
      meaning: 'Uma operação não terminou dentro do seu tempo (uma verificação de saúde, a verificação de um módulo); nomeada no log e em `/health`.',
    },
    ERR_UNSUPPORTED_MEDIA_TYPE: { title: 'Tipo de conteúdo não aceito', meaning: 'O corpo não é JSON: envie `Content-Type: application/json`.' },
    ERR_VALIDATION: {
      title: 'Requisição inválida',
      meaning: 'Um corpo, consulta ou parâmetro falhou no seu esquema ou numa regra do módulo; `errors[]` nomeia cada campo e o que há de errado nele.',
    },
    // products
    ERR_PRODUCT_HAS_STOCK: {
      title: 'Produto tem estoque',
      meaning:
        'O produto ainda tem estoque nos seus lotes: consuma-o, dê baixa por validade ou ajuste os lotes para 0, ou desative o produto em vez de excluí-lo.',
    },
    ERR_PRODUCT_NOT_FOUND: { title: 'Produto não encontrado', meaning: 'Nenhum produto com este id na organização de quem chama.' },
    ERR_PRODUCT_SKU_TAKEN: { title: 'SKU do produto já usado', meaning: 'Outro produto da organização já tem este SKU.' },
    ERR_PRODUCT_VERSION_CONFLICT: {
      title: 'Produto alterado nesse meio-tempo',
      meaning: 'O produto mudou desde que foi lido (`currentVersion` diz a versão atual): recarregue, refaça a alteração e envie a nova versão.',
    },
    // receipts
    ERR_RECEIPT_NOT_FOUND: {
      title: 'Recibo não encontrado',
      meaning: 'Nenhum recibo com este id para a organização de quem chama; recibos são guardados até a escrita ser aplicada e expurgada.',
    },
    // server
    ERR_PORT_BUSY: {
      title: 'Porta ocupada',
      meaning: 'A porta continuou tomada por outro processo durante todo o `PORT_WAIT_MS`; o robusto sai com 1 e diz como achar esse processo.',
    },
    // stock
    ERR_STOCK_INSUFFICIENT: {
      title: 'Estoque insuficiente',
      meaning: 'O lote tem menos do que a movimentação retira (`available` diz quanto ele tem).',
    },
    ERR_STOCK_LOT_CODE_TAKEN: { title: 'Código de lote já usado', meaning: 'Outro lote da organização já tem este código.' },
    ERR_STOCK_LOT_EXPIRED: { title: 'Lote vencido', meaning: 'O lote venceu e foi baixado: não aceita mais movimentações.' },
    ERR_STOCK_LOT_NOT_FOUND: { title: 'Lote não encontrado', meaning: 'Nenhum lote com este id ou código na organização de quem chama.' },
    // students
    ERR_STUDENT_CPF_TAKEN: { title: 'CPF do aluno já usado', meaning: 'Outro aluno da organização já tem este CPF.' },
    ERR_STUDENT_NOT_FOUND: { title: 'Aluno não encontrado', meaning: 'Nenhum aluno com este id na organização de quem chama.' },
    // system
    ERR_REPLAY_NOW_FAILED: {
      title: 'Falha ao processar pendentes',
      meaning:
        'A rodada de reprocessamento pedida agora (`POST /api/system/journal/replay`) parou num erro inesperado: as gravações continuam no diário, e o servidor segue reprocessando sozinho. O log, sob o id da requisição, diz por quê.',
    },
    ERR_BACKUP_RUNNING: {
      title: 'Backup em andamento',
      meaning: 'Um backup pedido agora já está sendo feito (`startedAt` diz desde quando): um de cada vez. Espere terminar e veja a lista de backups.',
    },
    ERR_BACKUP_NOW_FAILED: {
      title: 'Falha no backup',
      meaning:
        'O backup pedido agora (`POST /api/system/backups`) não pôde ser feito ou não foi lido de volta (e então foi apagado); `backupCode` traz o código do erro de backup quando há um, e o detalhe o que conferir.',
    },
    ERR_DEAD_LETTER_NOT_FOUND: {
      title: 'Carta morta não encontrada',
      meaning: 'Nenhuma carta morta com este recibo na organização de quem chama: ela pode já estar na fila, aplicada ou descartada.',
    },
    ERR_DEAD_LETTER_AUTHOR_LACKS_RIGHT: {
      title: 'Autor da carta morta sem o direito',
      meaning:
        'A carta morta não foi reenfileirada: o usuário que a enviou ainda não tem o direito de executar o comando dela (desativado, papel rebaixado, sessão encerrada), e ela seria recusada de novo. Descarte-a, ou devolva antes o papel (ou a conta) desse usuário e tente de novo.',
    },
    // writes
    ERR_IDEMPOTENCY_KEY_REUSED: {
      title: 'Chave de idempotência reutilizada',
      meaning: 'A `Idempotency-Key` já foi usada para outra requisição: use uma chave nova para uma requisição nova.',
    },
    ERR_JOURNAL_TENANT_FULL: {
      title: 'Cota do diário da organização cheia',
      meaning:
        'As escritas da organização que esperam no diário ocupam toda a sua cota (`JOURNAL_TENANT_MAX_MB`); as outras organizações continuam escrevendo. Tente de novo após `Retry-After`.',
    },
    ERR_JOURNAL_UNAVAILABLE: {
      title: 'Diário indisponível',
      meaning:
        'A escrita precisava ir para o diário (o banco está fora, ou escritas anteriores esperam lá) e o diário não consegue recebê-la; `reason` diz por quê (`disk-full`, `write-failed`, `cannot-open`, `limit`). Nada foi salvo: tente mais tarde.',
    },
    ERR_REPLAY_FAILED: {
      title: 'Reaplicação falhou',
      meaning: 'Uma escrita do diário falhou ao ser aplicada por um motivo sem código próprio; a carta morta guarda a mensagem.',
    },
    ERR_REPLAY_FORBIDDEN: {
      title: 'Reaplicação proibida',
      meaning:
        'O usuário que enviou uma escrita do diário perdeu o direito a ela (desativado, papel rebaixado, sessão encerrada) antes de ela ser aplicada: vira carta morta, nunca aplicada (a nova tentativa é recusada com `ERR_DEAD_LETTER_AUTHOR_LACKS_RIGHT` enquanto isso valer).',
    },
    ERR_REPLAY_VERSION_UNKNOWN: {
      title: 'Versão do comando desconhecida',
      meaning:
        'Uma escrita do diário foi aceita por uma versão do comando que este robusto não sabe aplicar (mais nova, ou sem conversão): fica como carta morta até rodar um robusto que a conheça.',
    },
    ERR_WRITE_OUTCOME_UNKNOWN: {
      title: 'Resultado da escrita desconhecido',
      meaning:
        'A conexão caiu durante o COMMIT e a escrita pode ou não ter sido salva; o robusto a põe no diário e a aplica no máximo uma vez (202), então isto só chega a um cliente quando nem o diário consegue recebê-la.',
    },
  },
  messages: {
    'validation.invalidFields.one': 'A requisição tem {count} campo inválido; veja errors[] para cada um.',
    'validation.invalidFields.other': 'A requisição tem {count} campos inválidos; veja errors[] para cada um.',
    'validation.tooManyFields': 'A requisição tem {count} campos inválidos; errors[] lista os {max} primeiros.',
    'field.required': 'é obrigatório',
    'field.notAccepted': 'não é um campo aceito; remova-o',
    'field.nul': 'contém um caractere NUL',
    'format.real-date': 'data inválida: use AAAA-MM-DD, por exemplo 2012-03-15',
    'format.date': 'data inválida: use AAAA-MM-DD, por exemplo 2012-03-15',
    'format.date-time': 'data e hora inválidas: use ISO 8601, por exemplo 2026-03-01T14:30:00Z',
    'format.cpf': 'CPF inválido: confira os dígitos verificadores',
    'format.cnpj': 'CNPJ inválido: confira os dígitos verificadores',
    'format.email': 'endereço de e-mail inválido, por exemplo ana@padaria.com.br',
    'format.uuid': 'id inválido: use um UUID, por exemplo 0b6f3a52-5c8e-4b8e-9a57-3f1f3b1e2c4d',
    'pattern.line': 'não pode estar em branco nem ter quebras de linha ou caracteres de controle',
    'pattern.text': 'não pode estar em branco nem ter caracteres de controle além de quebras de linha e tabulações',
    'pattern.phone': 'só pode ter dígitos, espaços, +, (, ) e -, por exemplo (11) 98765-4321',
    'http.bodyTooLarge': 'O corpo da requisição passa do limite desta rota ({limit} bytes); envie menos dados por requisição.',
    'http.unsupportedMediaType': 'O tipo de conteúdo "{contentType}" não é aceito; envie JSON com Content-Type: application/json.',
    'http.emptyJson': 'O corpo está vazio mas o Content-Type diz JSON; envie um documento JSON ou retire o cabeçalho.',
    'http.malformedJson': 'O corpo não é JSON válido; confira aspas, vírgulas e chaves.',
    'http.databaseUnavailable': 'O banco de dados não está respondendo agora; tente de novo em alguns segundos.',
    'http.internal': 'Algo deu errado no servidor. O log tem os detalhes sob o id de requisição {requestId}.',
    'http.routeNotFound': 'Não existe a rota {method} {path}. A API fica sob /api e está descrita em /docs.',
    'http.shuttingDown': 'Este servidor está parando; tente de novo em alguns segundos (outra instância, ou esta reiniciada, vai responder).',
    'http.rateLimited': 'Requisições demais para {route} ({max} por minuto); aguarde {seconds} s e tente de novo.',
    'http.overloaded': 'O servidor está sobrecarregado (o laço de eventos atrasa {lagMs} ms); tente de novo em alguns segundos.',
    'http.routeForbidden': 'Seu papel "{role}" não tem a permissão "{permission}" exigida por {method} {route}; peça a um admin ou owner.',
    'http.commandForbidden': 'Seu papel "{role}" não tem a permissão "{permission}" que {command} exige; peça a um admin ou owner.',
    'http.nul': 'A requisição contém um caractere NUL (\\u0000), que nenhum campo aceita; remova-o.',
    'http.readsWaitForDatabase':
      'O banco de dados não está respondendo; leituras esperam até ele responder (escritas continuam aceitas e enfileiradas). Tente de novo em alguns segundos.',
    'http.databaseNotYetAvailable':
      'O banco de dados não respondeu desde que o robusto iniciou; leituras esperam até ele responder (escritas são aceitas e enfileiradas). Tente de novo em alguns segundos.',
    'http.modulePending': 'O módulo "{module}" espera o banco de dados para aplicar suas migrações; tente de novo em instantes.',
    'http.moduleFailed':
      'O módulo "{module}" não carregou ({stage}) e está fora de serviço; o resto do robusto funciona. Um administrador vê o motivo em /health e no log, corrige o módulo e reinicia.',
    'http.idempotencyKeyInvalid': 'A Idempotency-Key deve ter de 1 a 255 caracteres ASCII visíveis, por exemplo um UUID.',
    'field.idempotencyKey': 'deve ter de 1 a 255 caracteres ASCII visíveis',
    'http.tooManyMembers': 'O corpo tem mais de {max} campos e itens; as requisições do robusto precisam de muito menos. Envie só os campos documentados.',
    'field.tooManyMembers': 'tem mais de {max} campos e itens',
    'http.signInFirst': 'Entre primeiro: envie Authorization: Bearer <token> obtido em POST /api/auth/login.',
    'http.badCursor': 'O cursor não foi dado por esta lista; use o nextCursor da página anterior, ou omita-o para recomeçar.',
    'field.badCursor': 'não é um cursor válido para esta lista',
    'identity.tokenInvalid': 'O token não é válido (ou o usuário foi desativado); entre de novo com POST /api/auth/login.',
    'identity.tokenExpired': 'O token expirou; entre de novo com POST /api/auth/login.',
    'identity.installationRoleRequired':
      '{method} {route} trata da instalação inteira, não da sua organização: exige o papel de instalação. Peça ao administrador da instalação, que o concede com `{command}` no servidor.',
    'writes.keyReused':
      'A Idempotency-Key "{key}" já foi usada para outra requisição. Use uma chave nova para uma requisição nova; reenvie o mesmo corpo para obter o primeiro resultado.',
    'writes.replayForbidden': 'Não aplicada: o usuário que a enviou ({user}) {why}. Ela exige a permissão "{permission}".',
    'writes.replayForbidden.userGone': 'não existe mais nesta organização',
    'writes.replayForbidden.deactivated': 'foi desativado depois de enviá-la',
    'writes.replayForbidden.tokenRevoked': 'saiu, ou teve a senha trocada, depois de emitido o token que a enviou: esse token foi revogado',
    'writes.replayForbidden.role': 'agora tem o papel "{role}", que não tem essa permissão',
    'writes.outcomeUnknown.withKey':
      'A conexão com o banco caiu durante o salvamento; a escrita pode ou não ter sido salva. Tentar de novo com a mesma Idempotency-Key é seguro: devolve o primeiro resultado, se houve um.',
    'writes.outcomeUnknown.withoutKey':
      'A conexão com o banco caiu durante o salvamento; a escrita pode ou não ter sido salva. Confira antes de tentar de novo, e envie uma Idempotency-Key com as escritas para tornar as novas tentativas seguras.',
    'writes.versionUnknown': 'Esta escrita foi aceita pela versão {version} de {command}; este robusto roda a versão {current} e {why}.',
    'writes.versionUnknown.newer': 'não lê uma versão mais nova: rode o robusto que a aceitou (ou um posterior) e tente de novo esta carta morta',
    'writes.versionUnknown.noUpcaster': 'não tem conversão da versão {from} para a {to}',
    'writes.versionUnknown.upcasterFailed': 'a conversão da versão {from} para a {to} falhou: {error}',
    'writes.route.databaseDown': 'O banco de dados não está respondendo',
    'writes.route.behindQueue':
      'Escritas aceitas enquanto o banco estava fora ainda esperam no diário local para serem aplicadas, e esta precisa entrar na fila depois delas',
    'writes.route.moduleWaiting': 'As tabelas deste módulo esperam suas migrações, então as escritas dele vão para o diário local',
    'writes.route.sameKey': 'Uma escrita com esta Idempotency-Key está sendo enfileirada no diário local',
    'writes.tenantFull':
      '{route}, e as escritas da sua organização que já esperam no diário local ocupam toda a cota dela ({reason}). Nada foi salvo; tente de novo quando forem aplicadas.',
    'writes.journalUnavailable': '{route}, e o diário local não consegue receber a escrita: {reason}. Nada foi salvo; tente mais tarde.',
    'receipts.notFound': 'Nenhum recibo {id}. Recibos são guardados até a escrita ser aplicada e expurgada.',
    'system.deadLetterAuthorLacksRight': 'Não foi reenfileirada: {reason} Descarte-a, ou devolva antes o papel desse usuário.',
    'system.deadLetterNotFound': 'Nenhuma carta morta {receipt} na sua organização (ela pode já estar na fila, aplicada ou descartada).',
    'auth.tooManyFailures': 'Falhas de login demais nesta conta; aguarde {seconds} s e tente de novo.',
    'auth.tooManyAttempts': 'Tentativas de login demais a partir deste endereço; aguarde {seconds} s e tente de novo.',
    'auth.hashingBusy': 'Logins e trocas de senha demais ao mesmo tempo; tente de novo em {seconds} s.',
    'auth.signInNeedsDatabase':
      'Entrar exige o banco de dados, que não está respondendo agora; tente de novo em alguns segundos. Tokens emitidos antes continuam valendo até expirarem.',
    'auth.tenantSlugTaken': 'Já existe uma organização com o slug "{slug}"; escolha outro.',
    'auth.userEmailTaken': 'Já existe um usuário com o e-mail {email} nesta organização.',
    'auth.ownerCreatesOwner': 'Só um owner pode criar outro owner; escolha o papel admin ou peça a um owner.',
    'auth.ownerChangesOwner': 'Só um owner pode alterar um owner ou tornar alguém owner.',
    'auth.selfLockout': 'Você não pode desativar a si mesmo nem mudar o próprio papel; peça a outro admin ou owner.',
    'auth.lastOwner': 'Este é o último owner ativo da organização: torne outro usuário owner antes, depois altere este.',
    'auth.signOutNeedsUser': 'Só um usuário conectado pode sair.',
    'auth.invalidCredentials': 'Organização, e-mail ou senha errados. Confira os três e tente de novo.',
    'auth.userNotFound': 'Nenhum usuário com id {id}.',
    'auth.installationRoleCliOnly': 'O papel de instalação é concedido e revogado apenas no servidor, com `{command} [--revoke]`.',
    'auth.installationRoleNeedsAdmin':
      '{email} tem o papel "{role}", que não opera o sistema; torne-o admin ou owner da organização antes, depois conceda o papel de instalação.',
    'audit.reversedRange': '"from" ({from}) é posterior a "to" ({to}); troque-os ou amplie o intervalo.',
    'audit.field.afterTo': 'não pode ser posterior a to',
    'audit.unknownInstant': '"{field}" não é um instante que este servidor consegue ler; envie uma data e hora ISO 8601 como 2026-03-01T00:00:00Z.',
    'audit.field.unknownInstant': 'não é uma data e hora válida',
    'customers.notFound': 'Nenhum cliente com id {id}.',
    'customers.documentTaken': 'Outro cliente já tem este CPF/CNPJ; procure-o em vez de criar um duplicado.',
    'customers.versionConflict':
      'O cliente mudou desde que você o leu (você enviou a versão {sent}, agora ela é {current}); recarregue-o, refaça a alteração e envie a nova versão.',
    'customers.personDocument': 'O documento de uma pessoa deve ser um CPF válido (11 dígitos).',
    'customers.companyDocument': 'O documento de uma empresa deve ser um CNPJ válido (14 dígitos).',
    'customers.field.personDocument': 'deve ser um CPF válido (11 dígitos)',
    'customers.field.companyDocument': 'deve ser um CNPJ válido (14 dígitos)',
    'products.notFound': 'Nenhum produto com id {id}.',
    'products.skuTaken': 'Outro produto já tem este SKU; escolha outro SKU ou edite aquele produto.',
    'products.versionConflict':
      'O produto mudou desde que você o leu (você enviou a versão {sent}, agora ela é {current}); recarregue-o, refaça a alteração e envie a nova versão.',
    'products.hasStock': 'O produto {id} ainda tem {quantity} em estoque; consuma, dê baixa por validade ou ajuste os lotes para 0, ou desative o produto.',
    'quantity.invalid': '{field}: {problem}.',
    'quantity.notANumber': 'deve ser um número',
    'quantity.zeroOrMore': 'deve ser 0 ou mais',
    'quantity.moreThanZero': 'deve ser maior que 0',
    'quantity.atMost': 'deve ser no máximo {max}',
    'quantity.decimals': 'deve ter no máximo {decimals} casas decimais',
    'stock.lotNotFoundById': 'Nenhum lote de estoque com id {id}.',
    'stock.lotNotFoundByCode': 'Nenhum lote de estoque com código {code}.',
    'stock.lotCodeTaken': 'Outro lote já tem este código; imprima um novo QR code, ou some àquele lote com uma movimentação "in".',
    'stock.lotExpired': 'O lote {code} venceu e foi baixado; não aceita mais movimentações. Descarte a mercadoria ou receba-a como um lote novo.',
    'stock.insufficient': 'O lote {code} tem {available}, menos que os {requested} pedidos; retire no máximo {available}, ou use outro lote.',
    'stock.invalidMovement.one': 'A movimentação tem {count} campo inválido; veja errors[] para cada um.',
    'stock.invalidMovement.other': 'A movimentação tem {count} campos inválidos; veja errors[] para cada um.',
    'stock.field.quantityRequired': 'é obrigatório numa movimentação "{type}"',
    'stock.field.quantityRefused': 'não é aceito numa movimentação "{type}"',
    'stock.field.quantityRefusedAdjust': 'não é aceito numa movimentação "adjust"; envie countedQuantity',
    'stock.field.countedRequired': 'é obrigatório numa movimentação "adjust": a quantidade contada',
    'stock.field.countedOnlyAdjust': 'só é aceito numa movimentação "adjust"',
    'stock.field.reasonRequired': 'é obrigatório numa movimentação "adjust": diga por que a contagem difere',
    'students.notFound': 'Nenhum aluno com id {id}.',
    'students.cpfTaken': 'Outro aluno já tem este CPF; procure-o em vez de cadastrar um duplicado.',
    'students.invalid.one': 'O aluno tem {count} campo inválido; veja errors[] para cada um.',
    'students.invalid.other': 'O aluno tem {count} campos inválidos; veja errors[] para cada um.',
    'students.field.birthDateTooEarly': 'deve ser {earliest} ou depois',
    'students.field.birthDateInFuture': 'não pode estar no futuro (hoje é {today})',
    'students.field.guardianRequired': 'é obrigatório: o aluno tem menos de {age} anos na data da matrícula ({registeredOn})',
    'restart.phase.find': 'localizar',
    'restart.phase.backup': 'backup',
    'restart.phase.journal': 'diário',
    'restart.phase.stop': 'parada',
    'restart.phase.start': 'partida',
    'restart.phase.check': 'verificação',
    'restart.nothing': 'nada',
    'restart.notTouched': 'o servidor em execução não foi tocado',
    'restart.reportAt': 'relatório: {path}',
    'restart.holdingInterrupts': 'robusto restart: o servidor está parado e sendo iniciado de novo; não vou interromper',
    'restart.find.notRunning': 'o robusto não está rodando para {dataDir} (nenhum supervisor vivo no arquivo de pid): inicie-o com "robusto start"',
    'restart.find.serviceManager':
      'o supervisor (pid {pid}) roda sob {manager}, que iniciaria outro: reinicie-o com "systemctl restart <sua unidade>" (ele também para com calma), depois de "robusto backup"',
    'restart.find.found': 'supervisor pid {pid}',
    'restart.backup.done': '{dir}, verificado ({rows} linhas em {tables} tabelas)',
    'restart.journal.leftWarning': '{left} escrita(s) ainda esperavam no diário na parada; estão em disco e o novo servidor as aplica',
    'restart.journal.none': 'nenhuma escrita esperando',
    'restart.journal.applied': '{count} escrita(s) em espera aplicada(s) pelo servidor em execução antes da parada',
    'restart.journal.stillWait': '{left} escrita(s) ainda esperam depois de {seconds} s',
    'restart.stop.changed': 'o supervisor mudou enquanto o backup rodava (pid {pid}, agora {now}); rode "robusto restart" de novo',
    'restart.stop.none': 'nenhum',
    'restart.stop.noExit': 'o supervisor pid {pid} não saiu em {ms} ms após o SIGTERM; veja o log dele. Pare-o (kill {pid}) e rode "robusto start"',
    'restart.stop.portTaken': 'a porta {port} continua ocupada depois da parada: outro processo escuta nela',
    'restart.stop.done': 'o pid {pid} saiu depois de terminar suas requisições; porta {port} livre',
    'restart.start.cannotStart': 'não foi possível iniciar "robusto start": {error}',
    'restart.start.exited': '"robusto start" saiu logo ({how}); veja {file}',
    'restart.start.exitCode': 'código {code}',
    'restart.start.notReady': 'o novo servidor não respondeu {url} em {seconds} s; veja {file}',
    'restart.start.done': 'supervisor pid {pid}, pronto em {url}',
    'restart.check.fewerRows': '{table}: {atStop} na parada, {now} agora',
    'restart.check.lostRows':
      'as tabelas têm menos linhas do que na parada e ninguém escreveu desde a partida: {tables}. Compare com o backup {backup} antes de qualquer outra coisa',
    'restart.check.fewerWarning': 'menos linhas do que na parada ({tables}), com escritas desde a partida que podem explicar: veja o registro de auditoria',
    'restart.check.healthFailed': '/health respondeu {status} depois da partida',
    'restart.check.done': '{rows}; {api}; mediana de /health {ms} ms',
    'restart.check.noRowLost': 'nenhuma tabela perdeu linhas',
    'restart.check.seeWarning': 'contagem de linhas: veja o aviso',
    'restart.check.noOwner': 'nenhum owner ativo para fazer a verificação da API',
    'restart.check.listFailed': 'listar clientes respondeu {status}',
    'restart.check.listedOnly': 'clientes listados pela API (sem verificar criar/excluir: {waiting} escrita(s) ainda esperam no diário)',
    'restart.check.queued':
      'o cliente da verificação foi enfileirado no diário (202), não salvo: o banco não está aceitando escritas; o cliente "robusto restart check" aparece quando aceitar, e pode ser excluído então',
    'restart.check.createFailed': 'criar um cliente respondeu {status}: {body}',
    'restart.check.readFailed': 'ler o cliente de volta respondeu {status}',
    'restart.check.deleteFailed': 'excluir o cliente respondeu {status}',
    'restart.check.apiDone': 'cliente criado, lido e excluído pela API',
    'report.title.success': '# robusto restart — SUCESSO',
    'report.title.failure': '# robusto restart — FALHA',
    'report.started': '- início: {at}',
    'report.dataDir': '- diretório de dados: {dir}',
    'report.database': '- banco de dados: {engine}',
    'report.backup': '- backup: {dir}',
    'report.noBackup': 'nenhum',
    'report.failedAt': '- falhou em **{phase}**: {detail}',
    'report.failedAtUntouched': '- falhou em **{phase}**: {detail} — o servidor em execução não foi tocado',
    'report.allPassed': '- todas as fases passaram',
    'report.warning': '- aviso: {warning}',
    'report.stepsHeader': '| fase | resultado | tempo | detalhe |',
    'report.ok': 'ok',
    'report.failed': 'FALHOU',
    'report.rowsHeading': '## Linhas por tabela',
    'report.rowsHeader': '| tabela | no backup | na parada | depois da partida |',
    'report.latencyHeading': '## Latência depois da partida',
    'status.notRunning': 'o robusto não está rodando ({why})',
    'status.lastStatus': 'último estado {at}: {state}',
    'status.noStatus': 'nenhum estado em {file}',
    'status.running': 'robusto {state}, supervisor pid {pid}, no ar há {uptime} s, em {address} ({engine})',
    'status.workers': '  workers: {ready} prontos de {wanted}',
    'status.worker': '    #{id} pid {pid} {state} desde {since}',
    'status.restarts': '  reinícios: {count}',
    'status.restartsCrashLoop': '  reinícios: {count}  (CICLO DE QUEDAS: os workers continuam morrendo; veja o log)',
    'status.reloads': '  recargas:  {count}',
    'status.lastCrash': '  última queda: {at} pid {pid}: {reason}',
    'status.noCrash': '  última queda: nenhuma',
    'reload.notRunning': '✗ nenhum supervisor do robusto rodando para {dataDir} (inicie-o com "robusto start")',
    'reload.requested': '✓ recarga gradual pedida (supervisor pid {pid}); acompanhe no log ou com "robusto status"',
    'doctor.fixLabel': 'correção',
    'doctor.allPassed': '✓ todas as verificações passaram',
    'doctor.someFailed': '✗ algumas verificações falharam',
    'doctor.name.node': 'node',
    'doctor.name.package': 'pacote {name}',
    'doctor.name.dataDir': 'diretório de dados',
    'doctor.name.database': 'banco de dados',
    'doctor.name.module': 'módulo {name}',
    'doctor.name.migrations': 'migrações',
    'doctor.name.config': 'configuração',
    'doctor.name.runningServer': 'servidor em execução',
    'doctor.name.remaining': 'verificações restantes',
    'doctor.name.fileModes': 'permissões de arquivos',
    'doctor.node.ok': 'Node.js {version} (exige {range})',
    'doctor.node.old': 'Node.js {version} não é suportado; o robusto exige Node.js {minimum} ou mais novo ({recommended} recomendado)',
    'doctor.node.fix':
      'instale o Node.js {recommended} (https://nodejs.org, ou os pacotes do seu sistema), torne-o o "node" do seu PATH e rode "npm install" de novo em {root} para os pacotes instalados combinarem com ele',
    'doctor.package.installed': 'instalado',
    'doctor.package.missing': 'não instalado (não encontra "{missing}")',
    'doctor.package.broken': 'falha ao carregar: {error}',
    'doctor.package.fix': 'rode "npm install" em {root}',
    'doctor.package.fixNative':
      'rode "npm install" em {root}; numa plataforma sem binário pronto para ele, compile-o com "npx node-gyp rebuild --directory node_modules/better-sqlite3" (exige python3, make e g++)',
    'doctor.dataDir.notWritable': '{dir} não aceita escrita: {error}',
    'doctor.dataDir.fix': 'dê ao usuário que roda o robusto permissão de escrita em {dir}, ou aponte DATA_DIR para um diretório gravável',
    'doctor.dataDir.writable': '{dir} aceita escrita (logs/, backups/, reports/ presentes)',
    'doctor.dataDir.usable': '{dir} pode ser usado; robusto start cria {missing}',
    'doctor.database.reachable': '{engine} acessível, ida e volta em {ms} ms',
    'doctor.database.unreachable': '{engine} inacessível: {error}',
    'doctor.database.fixPostgres': 'inicie o PostgreSQL ou corrija DATABASE_URL (agora {url}); robusto serve inicia mesmo assim e conecta quando ele responder',
    'doctor.database.fixPooler':
      'DATABASE_URL (agora {url}) leva a um pool de conexões que recusa o parâmetro de início {parameter}: acrescente-o a ignore_startup_parameters no pgbouncer.ini (docs/pt-BR/production.md, "PgBouncer")',
    'doctor.database.fixSqlite': 'confira que {file} é um banco do robusto e que o diretório dele aceita escrita',
    'doctor.database.none': 'ainda não há banco em {file}: robusto start o cria',
    'doctor.database.cannotOpen': 'não abre: {error}',
    'doctor.database.fixOpen': 'confira DATA_DIR e DATABASE_URL',
    'doctor.module.fails': 'falha em {stage}: {error}',
    'doctor.module.fix': 'corrija ou remova {where} (ROBUSTO_MODULES)',
    'doctor.module.loads': 'carrega ({origin})',
    'doctor.migrations.none': '{applied} aplicadas, nenhuma pendente',
    'doctor.migrations.noDatabase': 'nenhuma aplicada ainda: robusto start aplica todas ao criar o banco',
    'doctor.migrations.pending': '{applied} aplicadas, {count} pendentes (robusto serve as aplica ao iniciar; ou rode "robusto migrate"): {names}',
    'doctor.migrations.unreadable': 'não foi possível ler o estado das migrações: {error}',
    'doctor.migrations.fix': 'torne o banco de dados acessível primeiro',
    'doctor.config.fix': 'defina a variável no ambiente ou no .env',
    'doctor.config.valid': 'válida (motor {engine}, porta {port}, dados em {dir})',
    'doctor.server.found': 'supervisor pid {pid}; as configurações dele são as verificadas abaixo',
    'doctor.server.fix': 'corrija o .env ou o ambiente dele; ele continua rodando até ser reiniciado',
    'doctor.remaining.node': 'puladas até o robusto rodar num Node.js suportado',
    'doctor.remaining.nodeFix': 'instale um Node.js suportado (veja acima) e rode robusto doctor de novo',
    'doctor.remaining.packages': 'puladas até os pacotes acima serem instalados',
    'doctor.remaining.packagesFix': 'instale os pacotes e rode robusto doctor de novo',
    'doctor.modes.noDir': '{dir} ainda não existe; o robusto o cria legível só pelo dono',
    'doctor.modes.private': '{dir} e seus bancos e chaves são legíveis só pelo dono',
    'doctor.modes.loose': 'legíveis por outros usuários desta máquina: {files}; guardam hashes de senha e dados pessoais',
    'doctor.modes.fix': '{commands} (robusto start e serve também fazem isso)',
    'backup.written': '✓ backup gravado: {dir} ({tables} tabelas, {rows} linhas); confira-o com: robusto verify {dir}',
    'backup.sound': '✓ o backup {dir} está íntegro: {tables} tabelas, feito em {at} a partir de {engine} pelo robusto {version}',
    'backup.soundAuthenticated':
      '✓ o backup {dir} está íntegro: {tables} tabelas, feito em {at} a partir de {engine} pelo robusto {version}, manifesto autenticado',
    'backup.restored': '✓ {rows} linhas restauradas em {tables} tabelas de {dir} para {engine}',
    'backup.badKeepDays': '✗ --keep-days "{value}" não é um número inteiro de dias; por exemplo --keep-days 30',
    'backup.pruned': '✓ {count} backup(s) com mais de {days} dias excluído(s)',
    'backup.progress.backup': '{table}: {rows} linhas copiadas, {rate} linhas/s, faltam {eta}',
    'backup.progress.verify': '{table}: {rows} linhas conferidas, {rate} linhas/s, faltam {eta}',
    'backup.progress.restore': '{table}: {rows} linhas carregadas, {rate} linhas/s, faltam {eta}',
  },
};
